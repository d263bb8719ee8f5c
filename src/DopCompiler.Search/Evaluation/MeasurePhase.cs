using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Evaluation;

/// <summary>
/// Phase 4 of <see cref="DopSearch"/>: the chosen policy's joint KL measured on the validation set, and as many random
/// policies as asked (predicted against measured), whenever the validation run exists (or a cache hit asks for it).
/// The measurement is stored with the curves, per chosen policy, so the policy (and the generated class) is the same
/// whatever the cache held: a cold run measures and stores; a warm one reads the stored value (no validation run); a warm
/// one for a policy never measured (another budget) measures it, one reference pass and one policy pass, far below the
/// curves' cost, and stores it.
/// </summary>
internal static class MeasurePhase
{
    public static Measurement Run(SearchSetup setup, CurveCacheEntry entry, SearchPricing pricing, SolvedPolicy solved, SearchWorkspace workspace,
        CurveCache cache, ISearchProgress progress, SearchStatistics statistics)
    {
        var checks = new List<ApproximationCheck>();
        var measured = -1.0;
        var (groups, imageTokens, layers) = (setup.Groups, setup.ImageTokens, setup.Layers);
        var (solution, keptImageTokens) = (solved.Solution, solved.KeptImageTokens);
        var key = DopSearch.Describe(solution.Policy) + (keptImageTokens < imageTokens ? $" n_v={keptImageTokens}" : "");
        double? stored = entry.MeasuredKl is { } known && known.TryGetValue(key, out var value) ? value : null;
        var context = workspace.Context;
        if (context is null && setup.Options.MeasureOnCacheHit && (stored is null || setup.Options.RandomPolicies > 0))
        {
            context = workspace.PrepareContext();
        }

        if (context is null)
        {
            if (stored is { } reused)
            {
                progress.Info("the chosen policy's joint KL from the cache (measured when it was first chosen)");
                measured = reused;
            }

            return new Measurement(measured, checks);
        }

        var flopsCost = pricing.FlopsCost;
        progress.Info("measuring the chosen policy's joint KL on the validation set");
        var evaluator = new PolicyEvaluator(context, statistics);
        measured = keptImageTokens < imageTokens
            ? evaluator.MeanKl(ImageTokenSplit.Policy(solution.Policy, groups, keptImageTokens, imageTokens, layers), ImageTokenSplit.Groups(groups, keptImageTokens, imageTokens))
            : evaluator.MeanKl(solution.Policy);
        if (stored != measured)
        {
            cache.Write(entry with
            {
                MeasuredKl = new SortedDictionary<string, double>(entry.MeasuredKl ?? new SortedDictionary<string, double>(), StringComparer.Ordinal) { [key] = measured },
            });
        }

        checks.Add(new ApproximationCheck(key, solution.PredictedKl, measured,
            SearchPricing.ScaledCost(new FlopsCostModel(pricing.FlopsModel), pricing.Layout, keptImageTokens, imageTokens, layers).Of(solution.Policy) / flopsCost.Of(DepthPolicy.Empty)));
        var random = new Random(setup.Spec.Seed);
        for (var i = 0; i < setup.Options.RandomPolicies; i++)
        {
            var policy = RandomPolicy(random, entry.Curves, layers);
            var predicted = entry.Curves.Sum(c => c.Kl[Depth(policy, c)]);
            checks.Add(new ApproximationCheck(DopSearch.Describe(policy), predicted, evaluator.MeanKl(policy), flopsCost.Of(policy) / flopsCost.Of(DepthPolicy.Empty)));
        }

        return new Measurement(measured, checks);
    }

    private static int Depth(DepthPolicy policy, DivergenceCurve curve) =>
        (curve.Module == PolicyParameter.Attention ? policy.AttentionDepth : policy.MlpDepth).GetValueOrDefault(curve.Group);

    private static DepthPolicy RandomPolicy(Random random, IReadOnlyList<DivergenceCurve> curves, int layers)
    {
        var attention = new Dictionary<string, int>();
        var mlp = new Dictionary<string, int>();
        foreach (var curve in curves)
        {
            (curve.Module == PolicyParameter.Attention ? attention : mlp)[curve.Group] = random.Next(layers + 1);
        }

        return new DepthPolicy(attention, mlp);
    }
}
