using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;
using DopCompiler.Spec;

namespace DopCompiler.Search.Document;

/// <summary>
/// Builds the policy file's document, in one place: from a depth policy (the depth table and its per-layer expansion,
/// <see cref="Create"/>) and, for a search, every other section too (<see cref="FromSearch"/>).
/// </summary>
public static class PolicyDocumentFactory
{
    public static readonly string[] Modules = ["attention", "mlp"];

    /// <summary>
    /// The depth table (sorted by module, then group) and the per-layer table the generator unrolls. The other sections
    /// (budget, divergence, FLOPs, curves) are a search's: <see cref="FromSearch"/>.
    /// </summary>
    public static PolicyDocument Create(ModelConfig config, string modelName, string modelHash, IReadOnlyList<PolicyGroup> groups, DepthPolicy policy)
    {
        var layers = config.Text.NumLayers;
        var names = groups.Select(g => g.Name).ToArray();
        var mask = policy.ToMask(names, layers);
        var deadFrom = Enumerable.Range(0, names.Length).Select(mask.DeadFrom).ToArray();
        var document = new PolicyDocument
        {
            SchemaVersion = PolicySchema.VersionFor(groups),
            ToolVersion = ToolVersion.Current,
            Model = new PolicyModel
            {
                Name = modelName,
                Hash = modelHash,
                ModelType = config.ModelType,
                QkvBias = config.Text.QkvBias,
                NumLayers = layers,
                HiddenSize = config.Text.HiddenSize,
                IntermediateSize = config.Text.IntermediateSize,
                NumHeads = config.Text.NumHeads,
                NumKeyValueHeads = config.Text.NumKeyValueHeads,
                HeadDim = config.Text.HeadDim,
                ImageTokens = config.IsAnyres ? 0 : config.ImageTokensPerImage,
                ImageTokensVary = config.IsAnyres,
                ImageTokenId = config.ImageTokenIndex,
            },
            Groups = groups.ToList(),
        };

        foreach (var module in Modules)
        {
            var depths = module == "attention" ? policy.AttentionDepth : policy.MlpDepth;
            foreach (var group in names.Order(StringComparer.Ordinal))
            {
                document.Depths.Add(new PolicyDepth { Module = module, Group = group, Depth = depths.GetValueOrDefault(group) });
            }
        }

        for (var l = 0; l < layers; l++)
        {
            var layer = l;
            // A dead group runs nothing even where its MLP depth would keep it: nobody reads its hidden state again.
            document.Layers.Add(new PolicyLayer
            {
                Layer = l,
                Attention = names.Where((g, i) => deadFrom[i] > layer && mask.AttentionKept(layer, i)).ToList(),
                Mlp = names.Where((g, i) => deadFrom[i] > layer && mask.MlpKept(layer, i)).ToList(),
                Dropped = names.Where((g, i) => deadFrom[i] == layer).ToList(),
            });
        }

        return document;
    }

    /// <summary>
    /// Phase 5 of <see cref="DopSearch"/>: the whole document of a search's solution. An image-token count below the full
    /// one is stated as a [CLS]-ranked split (see <see cref="ImageTokenSplit"/>): the groups, layout, policy and curves
    /// are those of the split.
    /// </summary>
    internal static PolicyDocument FromSearch(SearchSetup setup, CurveCacheEntry entry, SearchPricing pricing, SolvedPolicy solved, double measuredKl)
    {
        var (spec, baseGroups, imageTokens, layers) = (setup.Spec, setup.Groups, setup.ImageTokens, setup.Layers);
        var kept = solved.KeptImageTokens;
        var groups = ImageTokenSplit.Groups(baseGroups, kept, imageTokens);
        var solution = solved.Solution with { Policy = ImageTokenSplit.Policy(solved.Solution.Policy, baseGroups, kept, imageTokens, layers) };
        var layout = ImageTokenSplit.Layout(pricing.Layout, groups, kept, imageTokens);
        var curves = ImageTokenSplit.Curves(entry.Curves, baseGroups, kept, imageTokens);
        var flopsModel = pricing.FlopsModel;

        var policyGroups = groups.Select((g, i) => new PolicyGroup
        {
            Name = g.Name,
            Source = g.Source,
            Prunable = g.Prunable,
            MeanTokens = Math.Round(layout.Sizes[i], 6),
            MeanAlwaysKept = Math.Round(layout.AlwaysKept[i], 6),
            ImageFraction = g.ImageFraction,
            Ranking = g.Source is "image_key" or "image_rest" && g.Ranking != ImageTokenOrder.ClsWord ? g.Ranking : null,
        }).ToList();
        var document = Create(setup.Config, Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.Model)), setup.Inputs.ModelHash, policyGroups, solution.Policy);
        document.Precision = spec.Precision switch
        {
            PrecisionKind.Fp32 => PolicySchema.Fp32Precision,
            PrecisionKind.Bf16 => PolicySchema.Bf16Precision,
            _ => null,
        };
        document.SchemaVersion = PolicySchema.VersionFor(document.Groups, hasVariants: false, document.Precision, document.Model.ImageTokensVary);
        document.SpecHash = setup.Inputs.PolicyKey;
        var mask = solution.Policy.ToMask(groups.Select(g => g.Name).ToArray(), entry.Layers);
        var breakdown = flopsModel.Prefill(mask, layout.Sizes, layout.AlwaysKept, layout.Covariance);
        document.LayoutCovariance = PolicyPricing.CovarianceForDocument(layout.Covariance);
        var unprunedFlops = pricing.FlopsCost.Of(DepthPolicy.Empty);
        var flopsFraction = breakdown.Total / unprunedFlops;
        document.Budget = new PolicyBudget
        {
            Kind = BudgetValue.KindWord(spec.Budget.Kind),
            Asked = setup.Budget,
            Reached = solved.Quality is { } quality ? quality.Measured : spec.Budget.Kind switch
            {
                BudgetKind.Tflops => breakdown.Total / 1e12,
                BudgetKind.LatencyFraction => solution.Cost / pricing.Unpruned,
                _ => flopsFraction,
            },
            FlopsFraction = flopsFraction,
        };
        document.Divergence = new PolicyDivergence
        {
            PredictedKl = solution.PredictedKl,
            MeasuredKl = measuredKl,
            Positions = spec.Divergence.Positions == DivergencePositions.FirstAnswer ? "first_answer" : "teacher_forced",
            MaxPositions = spec.Divergence.Positions == DivergencePositions.FirstAnswer ? 1 : spec.Divergence.MaxPositions,
            Samples = setup.Validation.Samples.Count,
        };
        document.Flops = new PolicyFlops
        {
            Convention = flopsModel.Convention == Model.Flops.FlopsConvention.Paper ? "paper" : "gqa",
            Unpruned = unprunedFlops,
            Pruned = breakdown.Total,
            Projections = breakdown.Projections,
            Attention = breakdown.Attention,
            Mlp = breakdown.Mlp,
        };
        if (pricing.Time is { } time)
        {
            document.Time = new PolicyTime { UnprunedMilliseconds = pricing.Unpruned, PredictedMilliseconds = solution.Cost, Machine = time.Machine };
        }

        if (solved.Quality is { } walk)
        {
            document.Quality = new PolicyQuality
            {
                Kind = BudgetValue.KindWord(walk.Kind),
                Target = walk.Target,
                Price = BudgetValue.PriceWord(walk.Price),
                Measured = walk.Measured,
                UnprunedAccuracy = walk.UnprunedAccuracy,
                Samples = walk.Samples,
                StandardError = walk.StandardError,
                Margin95 = walk.Margin95,
                FrontierSize = walk.FrontierSize,
                FrontierPosition = walk.Chosen,
                CandidatesMeasured = walk.Candidates.Count,
                Candidates = walk.Candidates.Select(c => new PolicyQualityCandidate
                {
                    Position = c.Position,
                    Policy = c.Policy,
                    CostFraction = c.CostFraction,
                    FlopsFraction = c.FlopsFraction,
                    Measured = c.Measured,
                    Meets = c.Meets,
                }).ToList(),
            };
        }

        document.Curves = curves
            .OrderBy(c => c.Module, StringComparer.Ordinal).ThenBy(c => c.Group, StringComparer.Ordinal)
            .Select(c => new PolicyCurve { Module = c.Module, Group = c.Group, Kl = c.Kl.ToList(), MeasuredDepths = c.MeasuredDepths.ToList() })
            .ToList();
        if (entry.TokenCounts is { } counts)
        {
            var order = Enumerable.Range(0, counts.Counts.Length).OrderBy(i => counts.Counts[i]).ToArray();
            document.TokenCounts = new PolicyTokenCounts
            {
                Group = counts.Group,
                ImageTokens = counts.ImageTokens,
                Counts = order.Select(i => counts.Counts[i]).ToList(),
                Kl = order.Select(i => counts.Kl[i]).ToList(),
            };
        }

        return document;
    }

    /// <summary>
    /// One policy file for several named budgets: the first document's shared sections (model, groups, curves, output) and
    /// its solution as the default, plus <c>variants</c> holding every document's solution in the given (spec) order, and
    /// the warnings of all of them. The documents must describe one model and one group layout (one search).
    /// </summary>
    public static PolicyDocument Combine(IReadOnlyList<(string Name, PolicyDocument Document)> variants)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(variants.Count, 1);
        var first = variants[0].Document;
        foreach (var (name, document) in variants)
        {
            if (!document.Groups.Select(g => (g.Name, g.ImageFraction, g.Ranking)).SequenceEqual(first.Groups.Select(g => (g.Name, g.ImageFraction, g.Ranking))))
            {
                throw new ArgumentException($"variant '{name}' has other token groups than '{variants[0].Name}'; one class has one prompt layout", nameof(variants));
            }
        }

        var warnings = variants.SelectMany(v => v.Document.Warnings ?? []).GroupBy(w => (w.Code, w.Message)).Select(g => g.First())
            .OrderBy(w => w.Code, StringComparer.Ordinal).ThenBy(w => w.Message, StringComparer.Ordinal).ToList();
        return new PolicyDocument
        {
            SchemaVersion = PolicySchema.VersionFor(first.Groups, hasVariants: true, first.Precision, first.Model.ImageTokensVary),
            Precision = first.Precision,
            ToolVersion = first.ToolVersion,
            Model = first.Model,
            SpecHash = first.SpecHash,
            Groups = first.Groups,
            Depths = first.Depths,
            Layers = first.Layers,
            Budget = first.Budget,
            Divergence = first.Divergence,
            Flops = first.Flops,
            Time = first.Time,
            Quality = first.Quality,
            Curves = first.Curves,
            TokenCounts = first.TokenCounts,
            Output = first.Output,
            Warnings = warnings.Count == 0 ? null : warnings,
            Variants = variants.Select(v => v.Document.AsVariant(v.Name)).ToList(),
        };
    }

    /// <summary>The depth policy a document describes (inverse of <see cref="Create"/>'s depth table).</summary>
    public static DepthPolicy ToDepthPolicy(PolicyDocument document) => new(
        document.Depths.Where(d => d.Module == "attention").ToDictionary(d => d.Group, d => d.Depth),
        document.Depths.Where(d => d.Module == "mlp").ToDictionary(d => d.Group, d => d.Depth));
}
