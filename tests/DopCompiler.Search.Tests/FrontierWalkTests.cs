using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Tests;

/// <summary>
/// The quality target's frontier walk, on answers known by brute force: the solver's frontier against every policy,
/// and the bisection against a scan of every frontier point with a fake evaluator.
/// </summary>
public sealed class FrontierWalkTests
{
    private static readonly TextConfig Config = TinyDecoder.Config;

    private static readonly GroupDefinition[] Groups = TinyDecoder.SplitGroups;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SolverFrontierIsEveryBudgetsOptimumCheapestFirst(int seed)
    {
        var cost = Cost();
        var solver = new PolicySolver(cost, TinyDecoder.RandomCurves(seed, ["system", "image_key", "image_rest"]));
        var frontier = solver.Frontier();
        Assert.True(frontier.Count > 10, $"frontier of {frontier.Count}");
        for (var i = 0; i < frontier.Count; i++)
        {
            var point = frontier[i];
            Assert.Equal(point.Cost, cost.Of(point.Policy), 6);
            // Brute force over every depth vector: nothing within this point's cost predicts less divergence.
            Assert.Equal(solver.BruteForce(point.Cost).PredictedKl, point.PredictedKl, 12);
            if (i > 0)
            {
                Assert.True(point.Cost > frontier[i - 1].Cost && point.PredictedKl < frontier[i - 1].PredictedKl);
            }
        }

        // And every budget's optimum is the dearest frontier point it affords.
        var unpruned = cost.Of(DepthPolicy.Empty);
        foreach (var fraction in new[] { 0.2, 0.35, 0.5, 0.65, 0.8, 0.95 })
        {
            var solved = solver.Solve(fraction * unpruned);
            var affordable = frontier.Where(p => p.Cost <= fraction * unpruned * (1 + 1e-9)).ToList();
            Assert.Equal(affordable.Count > 0, solved.Feasible);
            if (solved.Feasible)
            {
                Assert.Equal(affordable[^1].PredictedKl, solved.PredictedKl, 12);
            }
        }

        Assert.Equal(0, frontier[^1].PredictedKl);
    }

    [Theory]
    [InlineData(1, 0.05)]
    [InlineData(1, 0.4)]
    [InlineData(2, 0.01)]
    [InlineData(2, 1.5)]
    [InlineData(3, 0.2)]
    [InlineData(3, 0.0)]
    public void WalkReturnsTheCheapestPolicyMeetingTheTargetByBruteForceMeasuringFewerThanTheFrontier(int seed, double target)
    {
        var cost = Cost();
        var curves = TinyDecoder.RandomCurves(seed, ["system", "image_key", "image_rest"]);
        var frontier = new PolicySolver(cost, curves).Frontier();
        // A fake evaluator whose "measured" divergence is a monotone function of the prediction (no model needed).
        static double Measured(double predicted) => (1.3 * predicted) + (0.1 * predicted * predicted);
        var calls = 0;
        var walk = FrontierWalk.Bisect(frontier.Count, i =>
        {
            calls++;
            return Measured(frontier[i].PredictedKl);
        }, target);

        // Brute force: the cheapest policy of all (not only the frontier's) whose measured value meets the target.
        var cheapestMeeting = EveryPolicy().Select(p => (Cost: cost.Of(p), Kl: Kl(curves, p)))
            .Where(p => Measured(p.Kl) <= target + 1e-12).Min(p => p.Cost);
        Assert.Equal(cheapestMeeting, frontier[walk.Chosen].Cost, 6);
        Assert.Equal(calls, walk.Measured.Count);
        Assert.True(walk.Measured.Count < frontier.Count, $"{walk.Measured.Count} measured of {frontier.Count}");
        Assert.True(walk.Measured.Count <= (int)Math.Ceiling(Math.Log2(frontier.Count)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(257)]
    public void BisectOnMonotoneValuesFindsTheFirstMeetingPositionInLogMeasurements(int count)
    {
        var random = new Random(count);
        // Falling values, the last 0 (the unpruned model).
        var values = Enumerable.Range(0, count).Select(_ => random.NextDouble()).OrderDescending().ToArray();
        values[^1] = 0;
        foreach (var target in new[] { -1.0, 0.0, 0.1, 0.5, 0.9, 2.0 })
        {
            var walk = FrontierWalk.Bisect(count, i => values[i], target);
            var expected = Array.FindIndex(values, v => v <= target);
            Assert.Equal(expected < 0 ? count - 1 : expected, walk.Chosen);
            Assert.True(walk.Measured.Count <= (int)Math.Ceiling(Math.Log2(count)));
            Assert.All(walk.Measured, m => Assert.Equal(values[m.Index] <= target, m.Meets));
        }
    }

    [Fact]
    public void BisectOnNonMonotoneValuesStillReturnsAMeasuredPointThatMeetsNextToOneThatMisses()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 50; trial++)
        {
            var values = Enumerable.Range(0, 40).Select(_ => random.NextDouble()).ToArray();
            var walk = FrontierWalk.Bisect(values.Length, i => values[i], 0.5);
            Assert.True(walk.Chosen == values.Length - 1 || values[walk.Chosen] <= 0.5);
            Assert.True(walk.Chosen == 0 || walk.Measured.Any(m => m.Index == walk.Chosen - 1 && !m.Meets));
        }
    }

    [Fact]
    public void MarginShrinksWithNAndNamesTheNThatClearsTheTarget()
    {
        var small = QualityMargin.AccuracyDifference(0.97, 0.01, 64);
        var large = QualityMargin.AccuracyDifference(0.97, 0.01, 1000);
        Assert.Equal(Math.Sqrt((0.97 * 0.03 + (0.96 * 0.04)) / 64), small, 12);
        Assert.True(large < small);
        var needed = QualityMargin.SamplesFor(0.97, 0.01);
        Assert.True(QualityMargin.Z95 * QualityMargin.AccuracyDifference(0.97, 0.01, needed) <= 0.01);
        Assert.True(QualityMargin.Z95 * QualityMargin.AccuracyDifference(0.97, 0.01, needed - 1) > 0.01);
        Assert.Equal(Math.Sqrt(0.5 / 2), QualityMargin.OfMean([0.0, 1.0]), 12); // sample variance 0.5 over N = 2
    }

    private static double Kl(List<DivergenceCurve> curves, DepthPolicy policy)
    {
        return curves.Sum(c => c.Kl[(c.Module == PolicyParameter.Attention ? policy.AttentionDepth : policy.MlpDepth).GetValueOrDefault(c.Group)]);
    }

    private static IEnumerable<DepthPolicy> EveryPolicy()
    {
        string[] groups = ["system", "image_key", "image_rest"];
        var values = new int[groups.Length * 2];
        while (true)
        {
            yield return new DepthPolicy(
                groups.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => values[x.i]),
                groups.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => values[groups.Length + x.i]));
            var k = 0;
            while (k < values.Length && values[k] == Config.NumLayers)
            {
                values[k++] = 0;
            }

            if (k == values.Length)
            {
                yield break;
            }

            values[k]++;
        }
    }

    private static PolicyCost Cost() => TinyDecoder.Cost(new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa)));
}
