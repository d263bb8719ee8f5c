using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;
using DopCompiler.Search.Timing;

namespace DopCompiler.Search.Tests;

public sealed class SolverTests
{
    private static readonly TextConfig Config = TinyDecoder.Config;

    private static readonly GroupDefinition[] Groups = TinyDecoder.SplitGroups;

    public static TheoryData<int, double> Cases()
    {
        var data = new TheoryData<int, double>();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            foreach (var budget in new[] { 0.14, 0.3, 0.5, 0.8, 1.0 })
            {
                data.Add(seed, budget);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SolverOptimumEqualsBruteForce(int seed, double fraction)
    {
        var cost = Cost(new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa)));
        var curves = TinyDecoder.RandomCurves(seed, groups: ["system", "image_key", "image_rest"]);
        var solver = new PolicySolver(cost, curves);
        var budget = fraction * cost.Of(DepthPolicy.Empty);
        var fast = solver.Solve(budget);
        var exhaustive = solver.BruteForce(budget);
        Assert.Equal(exhaustive.Feasible, fast.Feasible);
        Assert.Equal(exhaustive.PredictedKl, fast.PredictedKl, 12);
        Assert.True(fast.Cost <= budget * (1 + 1e-9));
        Assert.Equal(fast.Cost, cost.Of(fast.Policy), 6);
        Assert.Equal(exhaustive.Cost, fast.Cost, 6);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    public void SolverOptimumEqualsBruteForceUnderATimeModel(double fraction)
    {
        var time = new TimeModel(0.4, 0.01, 0.0002, 0.3, 0.02, "test");
        var cost = Cost(time);
        var solver = new PolicySolver(cost, TinyDecoder.RandomCurves(9, groups: ["system", "image_key", "image_rest"]));
        var budget = fraction * cost.Of(DepthPolicy.Empty);
        Assert.Equal(solver.BruteForce(budget).PredictedKl, solver.Solve(budget).PredictedKl, 12);
    }

    [Fact]
    public void LayerCostFitRecoversTheCoefficientsAndNeverLetsTimeFallWithTokens()
    {
        var design = new[] { 1, 8, 32, 96, 172 }.Select(n => (n, 172)).Concat(new[] { 1, 8, 32, 96 }.Select(m => (172, m))).ToArray();
        var rows = design.Select(p => new[] { 1.0, p.Item1, (double)p.Item1 * p.Item1, p.Item2 }).ToArray();
        var exact = rows.Select(r => 0.25 + (0.002 * r[1]) + (0.00001 * r[2]) + (0.003 * r[3])).ToArray();
        var (a, b, c, d) = TimeModelProbe.FitLayerCost(rows, exact);
        Assert.Equal(0.25, a, 9);
        Assert.Equal(0.002, b, 9);
        Assert.Equal(0.00001, c, 9);
        Assert.Equal(0.003, d, 9);

        // Time that shrinks at large n (noise) must not become a negative curvature: refitted without it.
        var concave = rows.Select(r => 0.25 + (0.004 * r[1]) - (0.00001 * r[2]) + (0.003 * r[3])).ToArray();
        var fit = TimeModelProbe.FitLayerCost(rows, concave);
        Assert.Equal(0, fit.C);
        Assert.True(fit.B > 0 && fit.D > 0);
    }

    [Fact]
    public void PolicyCostEqualsTheFlopsModelForEveryPolicy()
    {
        var flops = new FlopsModel(Config, FlopsConvention.Gqa);
        var cost = Cost(new FlopsCostModel(flops));
        var random = new Random(4);
        var names = Groups.Select(g => g.Name).ToArray();
        for (var i = 0; i < 200; i++)
        {
            var policy = new DepthPolicy(
                names.Take(3).ToDictionary(n => n, _ => random.Next(5)),
                names.Take(3).ToDictionary(n => n, _ => random.Next(5)));
            var mask = policy.ToMask(names, Config.NumLayers);
            Assert.Equal(flops.Prefill(mask, cost.Layout.Sizes, cost.Layout.AlwaysKept).Total, cost.Of(policy), 3);
        }
    }

    [Fact]
    public void UnreachableBudgetReturnsTheCheapestPolicyMarkedInfeasible()
    {
        var cost = Cost(new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa)));
        var solver = new PolicySolver(cost, TinyDecoder.RandomCurves(1, groups: ["image_key", "image_rest"]));
        var solution = solver.Solve(0.01 * cost.Of(DepthPolicy.Empty));
        Assert.False(solution.Feasible);
        Assert.Equal(4, solution.Policy.AttentionDepth["image_key"]);
        Assert.Equal(4, solution.Policy.AttentionDepth["image_rest"]);
    }

    [Fact]
    public void LargerBudgetNeverIncreasesDivergence()
    {
        var cost = Cost(new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa)));
        var solver = new PolicySolver(cost, TinyDecoder.RandomCurves(5, groups: ["system", "image_key", "image_rest"]));
        var previous = double.PositiveInfinity;
        foreach (var fraction in new[] { 0.2, 0.3, 0.4, 0.6, 0.8, 1.0 })
        {
            var solution = solver.Solve(fraction * cost.Of(DepthPolicy.Empty));
            Assert.True(solution.PredictedKl <= previous);
            previous = solution.PredictedKl;
        }

        Assert.Equal(0, previous);
    }

    private static PolicyCost Cost(ILayerCostModel model) => TinyDecoder.Cost(model);
}
