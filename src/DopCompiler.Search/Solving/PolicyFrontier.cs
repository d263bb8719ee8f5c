using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;

namespace DopCompiler.Search.Solving;

/// <summary>
/// The frontier a quality target walks: every policy the budgeted solve (<see cref="SolvePhase"/>) can return, over
/// every n_v on the grid, cheapest first in the pricing's unit, and the unpruned model at the dear end.
/// </summary>
internal static class PolicyFrontier
{
    /// <summary>
    /// The frontier; with <paramref name="fixedCount"/> (a later variant of several budgets keeps the first one's image-token
    /// count) only the policies at that count, and then the dear end is nothing pruned at that count, not the unpruned model.
    /// </summary>
    public static IReadOnlyList<FrontierPoint> Of(CurveCacheEntry entry, SearchPricing pricing, int layers, int? fixedCount = null)
    {
        var full = entry.TokenCounts?.ImageTokens ?? int.MaxValue;
        var fixedBelowFull = fixedCount is { } kept && kept < full;
        var points = fixedBelowFull ? [] : new PolicySolver(pricing.Cost, entry.Curves).Frontier().Select(s => new FrontierPoint(s, full)).ToList();
        if (entry.TokenCounts is { } counts && (fixedCount is null || fixedBelowFull))
        {
            foreach (var count in counts.Counts.Where(c => fixedCount is null || c == fixedCount))
            {
                var cost = SearchPricing.ScaledCost(pricing.CostModel, pricing.Layout, count, counts.ImageTokens, layers);
                points.AddRange(new PolicySolver(cost, entry.Curves).Frontier()
                    .Select(s => new FrontierPoint(s with { PredictedKl = s.PredictedKl + counts.KlAt(count) }, count)));
            }
        }

        var frontier = new List<FrontierPoint>();
        foreach (var point in points.OrderBy(p => p.Solution.Cost).ThenBy(p => p.Solution.PredictedKl))
        {
            if (frontier.Count == 0 || point.Solution.PredictedKl < frontier[^1].Solution.PredictedKl - 1e-15)
            {
                frontier.Add(point);
            }
        }

        // The walk takes the dearest point to meet any target unmeasured: only the unpruned model surely does (a policy whose
        // curves all read 0 is predicted, not measured, to be harmless), so it closes the list.
        if (!fixedBelowFull && !IsUnpruned(frontier[^1], full))
        {
            frontier.Add(new FrontierPoint(new PolicySolution(DepthPolicy.Empty, 0, pricing.Unpruned, true), full));
        }

        return frontier;
    }

    public static bool IsUnpruned(FrontierPoint point, int fullImageTokens) =>
        point.KeptImageTokens >= fullImageTokens
        && point.Solution.Policy.AttentionDepth.Values.All(d => d == 0) && point.Solution.Policy.MlpDepth.Values.All(d => d == 0);
}
