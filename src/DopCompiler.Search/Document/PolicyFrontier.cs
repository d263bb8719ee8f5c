using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Document;

/// <summary>
/// The budget/divergence frontier of a policy file, re-solved from its curves without the model: for each image-token
/// count the file knows the divergence of (all tokens; the chosen count; every <c>grid.n_v</c> count when the file
/// carries <c>token_counts</c>), the solver's best predicted KL at budgets swept from that count's cheapest policy to
/// the unpruned model, priced in decoder FLOPs as the mean over the file's validation layouts. The search solves the same problems
/// (<see cref="SolvePhase"/>), so the chosen policy lies on its count's line (for a FLOPs budget).
/// </summary>
public static class PolicyFrontier
{
    /// <summary>Budgets tried per image-token count at most: the frontier is a step function and each step found is a real policy.</summary>
    public const int BudgetsPerCount = 48;

    /// <summary>Budgets tried per count at least, however large the model.</summary>
    public const int MinBudgetsPerCount = 12;

    /// <summary>
    /// Solver work allowed for the whole sweep, in attention-depth vectors enumerated ((L + 1)^groups per solve): 48 budgets
    /// × 3 counts of the 8-layer sample with two prunable groups, about a second. A 32-layer model's solve enumerates 13×
    /// more, so it gets fewer budgets (never under <see cref="MinBudgetsPerCount"/>) and the build's report stays quick.
    /// </summary>
    private const double SweepWork = BudgetsPerCount * 3 * 81;

    /// <summary>
    /// Every line, ascending by kept image tokens (the full count last). A split file (an n_v choice: groups
    /// <c>image_key</c>/<c>image_rest</c>) is solved as the search solved it, over the unsplit groups with the image group
    /// scaled to each count: re-solving the split groups themselves would leave the dropped tokens unpruned and the
    /// frontier far above the chosen policy's cost.
    /// </summary>
    /// <param name="document">The policy file (for several variants: any one of them; they share groups and curves).</param>
    /// <param name="chosenFractions">
    /// FLOPs fractions solved on every line besides the sweep, so each chosen policy's own step is on the plot (the file's
    /// own fraction is always added).
    /// </param>
    public static FrontierResult Of(PolicyDocument document, IEnumerable<double>? chosenFractions = null)
    {
        var problem = BaseProblem.Of(document);
        var unpruned = new PolicyCost(problem.CostModel, problem.Layout, problem.Layers).Of(DepthPolicy.Empty);
        var counts = problem.KnownCounts(document);
        var extra = (chosenFractions ?? []).Append(document.Budget.FlopsFraction).Where(f => f > 0 && double.IsFinite(f)).Select(f => f * unpruned).ToArray();
        var perSolve = Math.Pow(problem.Layers + 1, problem.Curves.Where(c => c.Module == PolicyParameter.Attention).Select(c => c.Group).Distinct().Count());
        var budgets = (int)Math.Clamp(SweepWork / (perSolve * counts.Count), MinBudgetsPerCount, BudgetsPerCount);
        var lines = counts.Select(c => Line(problem, c.Count, c.Kl, unpruned, extra, budgets)).ToArray();
        return new FrontierResult(lines, Envelope(lines.SelectMany(l => l.Points)), problem.ImageTokens);
    }

    /// <summary>
    /// The image tokens a (variant) document keeps before the decoder: the <c>image_key</c> share of the image tokens for
    /// a split file, else all of them (0 when the model has no image group).
    /// </summary>
    public static int KeptImageTokens(PolicyDocument document) => BaseProblem.Of(document).ChosenCount;

    private static FrontierLine Line(BaseProblem problem, int count, double countKl, double unpruned, double[] extraBudgets, int sweep)
    {
        var layout = problem.ImageTokens > 0 ? ImageTokenSplit.ScaledLayout(problem.Layout, count, problem.ImageTokens) : problem.Layout;
        var cost = new PolicyCost(problem.CostModel, layout, problem.Layers);
        var solver = new PolicySolver(cost, problem.Curves);
        // Nothing fits a zero budget: the solver then answers with the cheapest policy there is.
        var cheapest = solver.Solve(0).Cost;
        var dearest = cost.Of(DepthPolicy.Empty);
        var found = new List<FrontierPoint>();
        var budgets = Enumerable.Range(0, sweep).Select(i => cheapest + ((dearest - cheapest) * i / (sweep - 1)))
            .Concat(extraBudgets.Where(b => b >= cheapest && b <= dearest));
        foreach (var budget in budgets)
        {
            var solution = solver.Solve(budget);
            if (solution.Feasible)
            {
                found.Add(new FrontierPoint(solution.Cost / unpruned, solution.PredictedKl + countKl));
            }
        }

        return new FrontierLine(count, countKl, Envelope(found));
    }

    /// <summary>The points no other point beats in both cost and divergence, ascending by cost (so descending by divergence).</summary>
    private static IReadOnlyList<FrontierPoint> Envelope(IEnumerable<FrontierPoint> points)
    {
        var result = new List<FrontierPoint>();
        foreach (var point in points.OrderBy(p => p.PredictedKl).ThenBy(p => p.FlopsFraction))
        {
            if (result.Count == 0 || point.FlopsFraction < result[^1].FlopsFraction - 1e-12)
            {
                result.Add(point);
            }
        }

        result.Reverse();
        return result;
    }

    /// <summary>The unsplit problem a file was solved as: groups, mean layout, curves, and what is known of n_v.</summary>
    private sealed record BaseProblem(MeanLayout Layout, IReadOnlyList<DivergenceCurve> Curves, ILayerCostModel CostModel, int Layers,
        int ImageTokens, string ImageGroup, int ChosenCount)
    {
        public static BaseProblem Of(PolicyDocument document)
        {
            var groups = GroupDefinition.Of(document);
            var cost = PolicyPricing.FlopsCost(document);
            var layout = cost.Layout;
            var curves = PolicyPricing.Curves(document).ToList();
            var imageTokens = document.Model.ImageTokens;
            var key = document.Groups.FindIndex(g => g.Source == "image_key");
            var rest = document.Groups.FindIndex(g => g.Source == "image_rest");
            string image;
            int chosen;
            if (key >= 0 && rest >= 0 && imageTokens > 0)
            {
                // Undo ImageTokenSplit: one image group of both halves' tokens, which takes the key group's curves.
                var keyGroup = document.Groups[key];
                image = keyGroup.Name.EndsWith("_key", StringComparison.Ordinal) ? keyGroup.Name[..^4] : keyGroup.Name;
                chosen = (int)Math.Round(keyGroup.ImageFraction * imageTokens);
                var merged = new GroupDefinition(image, "image", true, 0, groups[key].Ranking);
                var at = Math.Min(key, rest);
                // New groups: the old ones without the two halves, their sum at the first half's place.
                var sources = Enumerable.Range(0, groups.Count).Where(i => i != key && i != rest).Select(i => new[] { i }).ToList();
                sources.Insert(at, [key, rest]);
                var map = sources.Select(from => Enumerable.Range(0, groups.Count).Select(i => from.Contains(i) ? 1.0 : 0).ToArray()).ToArray();
                var definitions = sources.Select(from => from.Length == 2 ? merged : groups[from[0]]).ToArray();
                layout = layout.Mapped(definitions, map, map);
                curves = curves.Where(c => c.Group != document.Groups[rest].Name)
                    .Select(c => c.Group == keyGroup.Name ? c with { Group = image } : c).ToList();
            }
            else
            {
                var plain = document.Groups.FindIndex(g => g.Source == "image");
                image = plain >= 0 ? document.Groups[plain].Name : "";
                chosen = plain >= 0 ? imageTokens : 0;
                imageTokens = plain >= 0 ? imageTokens : 0;
            }

            return new BaseProblem(layout, curves, cost.Model, document.Model.NumLayers, imageTokens, image, chosen);
        }

        /// <summary>
        /// (count, D(count)) for every count whose divergence is known: the full count (D = 0), the file's own count (D is
        /// what its predicted KL holds beyond the depth curves) and the grid's counts when the file carries them.
        /// </summary>
        public IReadOnlyList<(int Count, double Kl)> KnownCounts(PolicyDocument document)
        {
            var known = new SortedDictionary<int, double>();
            if (ImageTokens <= 0)
            {
                known[0] = 0;
                return known.Select(k => (k.Key, k.Value)).ToArray();
            }

            known[ImageTokens] = 0;
            if (ChosenCount < ImageTokens)
            {
                known[ChosenCount] = Math.Max(0, document.Divergence.PredictedKl - DepthKl(document));
            }

            if (document.TokenCounts is { Counts: { } counts, Kl: { } kl } && counts.Count == kl.Count)
            {
                for (var i = 0; i < counts.Count; i++)
                {
                    // Informative only: a count off the model's range or a non-finite value is left out, never fatal.
                    if (counts[i] > 0 && counts[i] < ImageTokens && double.IsFinite(kl[i]) && kl[i] >= 0)
                    {
                        known[counts[i]] = kl[i];
                    }
                }
            }

            return known.Select(k => (k.Key, k.Value)).ToArray();
        }

        /// <summary>Σ of the document's curves at its own depths (the additive prediction without D(n_v)).</summary>
        private static double DepthKl(PolicyDocument document) => document.Curves.Sum(c =>
        {
            var depth = document.Depths.FirstOrDefault(d => d.Module == c.Module && d.Group == c.Group)?.Depth ?? 0;
            return depth < c.Kl.Count ? c.Kl[depth] : 0;
        });
    }
}
