using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;

namespace DopCompiler.Search.Solving;

/// <summary>
/// The exact budget solver of §7: minimise Σ_j D_j(v_j) subject to cost ≤ budget. Attention depths couple groups
/// (the attention-pair term), so they are enumerated; given them, MLP costs are separable per group and the MLP
/// depths come from an exact Pareto-frontier merge. Ties go to the cheaper policy.
/// </summary>
public sealed class PolicySolver
{
    private readonly PolicyCost _cost;
    private readonly IReadOnlyDictionary<PolicyParameter, DivergenceCurve> _curves;

    public PolicySolver(PolicyCost cost, IEnumerable<DivergenceCurve> curves)
    {
        _cost = cost;
        _curves = curves.ToDictionary(c => new PolicyParameter(c.Module, c.Group));
    }

    /// <summary>The policy of least predicted divergence whose cost is within <paramref name="budget"/>.</summary>
    public PolicySolution Solve(double budget)
    {
        var groups = _cost.Layout.Groups;
        var layers = _cost.Layers;
        var attentionCurves = groups.Select(g => _curves.GetValueOrDefault(new PolicyParameter(PolicyParameter.Attention, g.Name))).ToArray();
        var mlpCurves = groups.Select(g => _curves.GetValueOrDefault(new PolicyParameter(PolicyParameter.Mlp, g.Name))).ToArray();
        var attentionGroups = Enumerable.Range(0, groups.Count).Where(g => attentionCurves[g] is not null).ToArray();

        var best = (Kl: double.PositiveInfinity, Cost: double.PositiveInfinity, Attention: new int[groups.Count], Mlp: new int[groups.Count]);
        var cheapest = best;
        var attention = new int[groups.Count];
        var mlpBase = _cost.MlpBase();
        do
        {
            var attentionCost = _cost.AttentionCost(attention);
            var attentionKl = attentionGroups.Sum(g => attentionCurves[g]!.Kl[attention[g]]);
            var frontier = MlpFrontier(attention, mlpCurves, layers);
            var remaining = budget - attentionCost - mlpBase;

            // Cheapest point overall, reported when nothing fits the budget.
            var low = frontier[^1];
            if (attentionCost + mlpBase + low.Cost < cheapest.Cost)
            {
                cheapest = (attentionKl + low.Kl, attentionCost + mlpBase + low.Cost, (int[])attention.Clone(), low.Depths);
            }

            // Frontier is sorted by cost descending / divergence ascending: the first affordable point is the best.
            foreach (var point in frontier)
            {
                if (point.Cost <= remaining + (1e-9 * Math.Abs(budget)))
                {
                    var kl = attentionKl + point.Kl;
                    var total = attentionCost + mlpBase + point.Cost;
                    if (kl < best.Kl - 1e-15 || (Math.Abs(kl - best.Kl) <= 1e-15 && total < best.Cost))
                    {
                        best = (kl, total, (int[])attention.Clone(), point.Depths);
                    }

                    break;
                }
            }
        }
        while (Next(attention, attentionGroups, layers));

        var feasible = !double.IsPositiveInfinity(best.Kl);
        var chosen = feasible ? best : cheapest;
        return new PolicySolution(ToPolicy(groups, chosen.Attention, chosen.Mlp), chosen.Kl, chosen.Cost, feasible);
    }

    /// <summary>
    /// The whole budget/divergence frontier, cheapest first: every policy that <see cref="Solve"/> returns for some budget
    /// (cost strictly rising, predicted divergence strictly falling along the list). Built from the same per-attention
    /// MLP frontiers as <see cref="Solve"/>, merged into one Pareto set as they come, so memory stays at the frontier's size.
    /// </summary>
    public IReadOnlyList<PolicySolution> Frontier()
    {
        var groups = _cost.Layout.Groups;
        var layers = _cost.Layers;
        var attentionCurves = groups.Select(g => _curves.GetValueOrDefault(new PolicyParameter(PolicyParameter.Attention, g.Name))).ToArray();
        var mlpCurves = groups.Select(g => _curves.GetValueOrDefault(new PolicyParameter(PolicyParameter.Mlp, g.Name))).ToArray();
        var attentionGroups = Enumerable.Range(0, groups.Count).Where(g => attentionCurves[g] is not null).ToArray();
        var mlpBase = _cost.MlpBase();
        var attention = new int[groups.Count];
        var all = new List<(double Cost, double Kl, int[] Attention, int[] Mlp)>();
        do
        {
            var attentionCost = _cost.AttentionCost(attention);
            var attentionKl = attentionGroups.Sum(g => attentionCurves[g]!.Kl[attention[g]]);
            var fixedAttention = (int[])attention.Clone();
            var points = MlpFrontier(attention, mlpCurves, layers)
                .Select(p => (attentionCost + mlpBase + p.Cost, attentionKl + p.Kl, fixedAttention, p.Depths));
            all = CheapestFirstPareto(all.Concat(points));
        }
        while (Next(attention, attentionGroups, layers));

        return all.Select(p => new PolicySolution(ToPolicy(groups, p.Attention, p.Mlp), p.Kl, p.Cost, true)).ToList();
    }

    /// <summary>
    /// Points not dominated in (cost, divergence), cheapest first; of equal divergence the cheaper wins, as in <see cref="Solve"/>.
    /// </summary>
    private static List<(double Cost, double Kl, int[] Attention, int[] Mlp)> CheapestFirstPareto(IEnumerable<(double Cost, double Kl, int[] Attention, int[] Mlp)> points)
    {
        var result = new List<(double Cost, double Kl, int[] Attention, int[] Mlp)>();
        foreach (var point in points.OrderBy(p => p.Cost).ThenBy(p => p.Kl))
        {
            if (result.Count == 0 || point.Kl < result[^1].Kl - 1e-15)
            {
                result.Add(point);
            }
        }

        return result;
    }

    /// <summary>Exhaustive reference solver over every (attention, MLP) depth vector, for tests on small cases.</summary>
    public PolicySolution BruteForce(double budget)
    {
        var groups = _cost.Layout.Groups;
        var layers = _cost.Layers;
        var parameters = _curves.Keys.ToArray();
        var values = new int[parameters.Length];
        PolicySolution? best = null;
        do
        {
            var policy = new DepthPolicy(
                parameters.Select((p, i) => (p, i)).Where(x => x.p.IsAttention).ToDictionary(x => x.p.Group, x => values[x.i]),
                parameters.Select((p, i) => (p, i)).Where(x => !x.p.IsAttention).ToDictionary(x => x.p.Group, x => values[x.i]));
            var cost = _cost.Of(policy);
            if (cost <= budget + (1e-9 * Math.Abs(budget)))
            {
                var kl = parameters.Select((p, i) => _curves[p].Kl[values[i]]).Sum();
                if (best is null || kl < best.PredictedKl - 1e-15 || (Math.Abs(kl - best.PredictedKl) <= 1e-15 && cost < best.Cost))
                {
                    best = new PolicySolution(policy, kl, cost, true);
                }
            }
        }
        while (Next(values, Enumerable.Range(0, values.Length).ToArray(), layers));

        return best ?? new PolicySolution(DepthPolicy.Empty, double.PositiveInfinity, double.PositiveInfinity, false);
    }

    private List<(double Cost, double Kl, int[] Depths)> MlpFrontier(int[] attention, DivergenceCurve?[] mlpCurves, int layers)
    {
        var groups = attention.Length;
        var frontier = new List<(double Cost, double Kl, int[] Depths)> { (0, 0, new int[groups]) };
        for (var g = 0; g < groups; g++)
        {
            var options = new List<(double Cost, double Kl, int Depth)> { (_cost.GroupMlpCost(g, attention[g], 0), 0, 0) };
            if (mlpCurves[g] is { } curve)
            {
                // Depths 1..a cost the same as 0 (those layers already dropped the group) but add divergence: skip them.
                for (var m = attention[g] + 1; m <= layers; m++)
                {
                    options.Add((_cost.GroupMlpCost(g, attention[g], m), curve.Kl[m], m));
                }
            }

            var merged = new List<(double Cost, double Kl, int[] Depths)>(frontier.Count * options.Count);
            foreach (var (cost, kl, depths) in frontier)
            {
                foreach (var option in options)
                {
                    var next = (int[])depths.Clone();
                    next[g] = option.Depth;
                    merged.Add((cost + option.Cost, kl + option.Kl, next));
                }
            }

            frontier = Pareto(merged);
        }

        return frontier;
    }

    /// <summary>Keeps points not dominated in (cost, divergence); sorted by divergence ascending (cost descending).</summary>
    private static List<(double Cost, double Kl, int[] Depths)> Pareto(List<(double Cost, double Kl, int[] Depths)> points)
    {
        var result = new List<(double Cost, double Kl, int[] Depths)>();
        foreach (var point in points.OrderBy(p => p.Kl).ThenBy(p => p.Cost))
        {
            if (result.Count == 0 || point.Cost < result[^1].Cost)
            {
                result.Add(point);
            }
        }

        return result;
    }

    private static bool Next(int[] values, int[] positions, int max)
    {
        foreach (var i in positions)
        {
            if (values[i] < max)
            {
                values[i]++;
                return true;
            }

            values[i] = 0;
        }

        return false;
    }

    private static DepthPolicy ToPolicy(IReadOnlyList<GroupDefinition> groups, int[] attention, int[] mlp) => new(
        groups.Select((g, i) => (g, i)).Where(x => attention[x.i] > 0).ToDictionary(x => x.g.Name, x => attention[x.i]),
        groups.Select((g, i) => (g, i)).Where(x => mlp[x.i] > 0).ToDictionary(x => x.g.Name, x => mlp[x.i]));
}
