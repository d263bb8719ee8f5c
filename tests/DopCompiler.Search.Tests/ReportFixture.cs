using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search.Document;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Tests;

/// <summary>
/// Policy documents for the report's tests, made without a model: a 4-layer decoder, 16 image tokens, made-up curves and
/// D(n_v), and for a budget the policy the search would choose (best over the image-token counts, solved with the
/// search's own solver and split into image_key/image_rest as the search writes it).
/// </summary>
internal static class ReportFixture
{
    public const int Layers = 4;
    public const int ImageTokens = 16;

    /// <summary>D(n_v) of the made-up n_v grid.</summary>
    public static readonly (int Count, double Kl)[] TokenCounts = [(4, 0.01), (8, 0.003)];

    private static readonly TextConfig Text = new()
    {
        HiddenSize = 64, IntermediateSize = 176, NumLayers = Layers, NumHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
        VocabSize = 100, RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = false,
    };

    private static readonly GroupDefinition[] BaseGroups = [new("system", "system", true), new("image", "image", true), new("text", "text", false)];
    private static readonly double[] Sizes = [6, ImageTokens, 5];
    private static readonly double[] AlwaysKept = [0, 0, 2];

    /// <summary>The policy a search would write for FLOPs budget <paramref name="fraction"/>; with <paramref name="searchCounts"/> the n_v grid is searched too.</summary>
    public static PolicyDocument Chosen(double fraction, bool searchCounts = true, bool recordCounts = true)
    {
        var layout = new MeanLayout(BaseGroups, Sizes, AlwaysKept);
        var costModel = new FlopsCostModel(new Model.Flops.FlopsModel(Text, Model.Flops.FlopsConvention.Gqa));
        var unpruned = new PolicyCost(costModel, layout, Layers).Of(DepthPolicy.Empty);
        var curves = Curves(BaseGroups.Where(g => g.Prunable).Select(g => g.Name));
        var options = new List<(int Count, double Kl)> { (ImageTokens, 0) };
        if (searchCounts)
        {
            options.AddRange(TokenCounts);
        }

        var best = options
            .Select(o => (o.Count, o.Kl, Solution: new PolicySolver(new PolicyCost(costModel, ImageTokenSplit.ScaledLayout(layout, o.Count, ImageTokens), Layers), curves).Solve(fraction * unpruned)))
            .Where(o => o.Solution.Feasible)
            .MinBy(o => o.Solution.PredictedKl + o.Kl);
        var groups = ImageTokenSplit.Groups(BaseGroups, best.Count, ImageTokens);
        var splitLayout = ImageTokenSplit.Layout(layout, groups, best.Count, ImageTokens);
        var policy = ImageTokenSplit.Policy(best.Solution.Policy, BaseGroups, best.Count, ImageTokens, Layers);
        var config = new ModelConfig { ModelType = "llava", Text = Text };
        var policyGroups = groups.Select((g, i) => new PolicyGroup
        {
            Name = g.Name, Source = g.Source, Prunable = g.Prunable, MeanTokens = splitLayout.Sizes[i], MeanAlwaysKept = splitLayout.AlwaysKept[i], ImageFraction = g.ImageFraction,
        }).ToList();
        var document = PolicyDocumentFactory.Create(config, "tiny", "sha256:00", policyGroups, policy);
        document.Model.ImageTokens = ImageTokens;
        var flopsFraction = best.Solution.Cost / unpruned;
        document.Budget = new PolicyBudget { Kind = "fraction", Asked = fraction, Reached = flopsFraction, FlopsFraction = flopsFraction };
        document.Divergence = new PolicyDivergence
        {
            PredictedKl = best.Solution.PredictedKl + best.Kl, MeasuredKl = (best.Solution.PredictedKl + best.Kl) * 1.3, Positions = "teacher_forced", MaxPositions = 4, Samples = 8,
        };
        document.Flops = new PolicyFlops { Convention = "gqa", Unpruned = unpruned, Pruned = best.Solution.Cost };
        document.Curves = ImageTokenSplit.Curves(curves, BaseGroups, best.Count, ImageTokens)
            .Select(c => new PolicyCurve { Module = c.Module, Group = c.Group, Kl = c.Kl.ToList(), MeasuredDepths = c.MeasuredDepths.ToList() }).ToList();
        if (searchCounts && recordCounts)
        {
            document.TokenCounts = new PolicyTokenCounts
            {
                Group = "image", ImageTokens = ImageTokens, Counts = TokenCounts.Select(t => t.Count).ToList(), Kl = TokenCounts.Select(t => t.Kl).ToList(),
            };
        }

        return document;
    }

    /// <summary>Convex-ish made-up curves: pruning deeper costs more, the image least per layer, attention more than MLP.</summary>
    private static Curves.DivergenceCurve[] Curves(IEnumerable<string> groups) =>
        groups.SelectMany(group => new[] { "attention", "mlp" }.Select(module =>
        {
            var scale = (group == "image" ? 0.05 : 0.03) * (module == "attention" ? 2 : 1);
            var kl = Enumerable.Range(0, Layers + 1).Select(d => scale * ((Math.Pow(2.2, d) - 1) / 10)).ToArray();
            return new Curves.DivergenceCurve(module, group, kl, [0, 2, Layers]);
        })).ToArray();
}
