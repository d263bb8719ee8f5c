using DopCompiler.Model;
using DopCompiler.Search.Curves;
using DopCompiler.Spec;

namespace DopCompiler.Search.Solving;

/// <summary>
/// Phase 3 of <see cref="DopSearch"/>: the budgeted solve over the curves, with the image-token count n_v as one more
/// parameter when the spec searches it. When even pruning everything misses the budget: error DOP041, or with
/// <c>on_unreachable: cheapest</c> warning DOP041 and the cheapest policy.
/// </summary>
internal static class SolvePhase
{
    public static SolvedPolicy Run(SearchSetup setup, CurveCacheEntry entry, SearchPricing pricing, ISearchProgress progress)
    {
        var budgetCost = setup.Spec.Budget.Kind switch
        {
            BudgetKind.Tflops => setup.Budget * 1e12,
            _ => setup.Budget * pricing.Unpruned,
        };
        var solved = SolveWithTokenCounts(entry, pricing, budgetCost, setup.Layers, setup.FixedImageTokens);
        if (!solved.Solution.Feasible)
        {
            var cheapest = $"the budget cannot be reached even with every prunable operation pruned (the cheapest policy costs {solved.Solution.Cost / pricing.Unpruned:0.000} of unpruned)";
            if (setup.Spec.Budget.OnUnreachable != UnreachableBudget.Cheapest)
            {
                // An error by default: such a model usually answers nothing, and in a build a warning scrolls by.
                throw new DopException(DiagnosticCodes.BudgetUnreachable,
                    cheapest + "; raise the budget, make more groups prunable, or set 'on_unreachable: cheapest' under 'budget' to ship the cheapest policy",
                    setup.Spec.SourcePath);
            }

            progress.Warning(DiagnosticCodes.BudgetUnreachable, cheapest + "; using it (on_unreachable: cheapest)");
        }

        return solved;
    }

    /// <summary>
    /// The budgeted solve with the image-token count as one more parameter: for each n_v on the grid (and the full
    /// count) the depth problem is solved exactly on a layout whose image group holds n_v tokens, and D(n_v) is added
    /// (additive approximation); the lowest predicted divergence within the budget wins.
    /// </summary>
    private static SolvedPolicy SolveWithTokenCounts(CurveCacheEntry entry, SearchPricing pricing, double budgetCost, int layers, int? fixedCount = null)
    {
        if (fixedCount is { } kept && entry.TokenCounts is { } grid && kept < grid.ImageTokens)
        {
            // A later variant of several budgets keeps the first one's image-token count: the depth problem alone, at that count.
            var atCount = new PolicySolver(SearchPricing.ScaledCost(pricing.CostModel, pricing.Layout, kept, grid.ImageTokens, layers), entry.Curves).Solve(budgetCost);
            return new SolvedPolicy(atCount with { PredictedKl = atCount.PredictedKl + grid.KlAt(kept) }, kept);
        }

        var full = new PolicySolver(pricing.Cost, entry.Curves).Solve(budgetCost);
        if (entry.TokenCounts is not { } counts)
        {
            return new SolvedPolicy(full, int.MaxValue);
        }

        if (fixedCount is not null)
        {
            return new SolvedPolicy(full, counts.ImageTokens);
        }

        var costModel = pricing.CostModel;
        var best = (Solution: full, Count: counts.ImageTokens);
        foreach (var count in counts.Counts) // the grid is below the full count (checked on entry)
        {
            var scaled = new PolicySolver(SearchPricing.ScaledCost(costModel, pricing.Layout, count, counts.ImageTokens, layers), entry.Curves).Solve(budgetCost);
            var candidate = scaled with { PredictedKl = scaled.PredictedKl + counts.KlAt(count) };
            var better = (candidate.Feasible, best.Solution.Feasible) switch
            {
                (true, false) => true,
                (false, true) => false,
                (true, true) => candidate.PredictedKl < best.Solution.PredictedKl - 1e-15
                    || (Math.Abs(candidate.PredictedKl - best.Solution.PredictedKl) <= 1e-15 && candidate.Cost < best.Solution.Cost),
                _ => candidate.Cost < best.Solution.Cost,
            };
            if (better)
            {
                best = (candidate, count);
            }
        }

        return new SolvedPolicy(best.Solution, best.Count);
    }
}
