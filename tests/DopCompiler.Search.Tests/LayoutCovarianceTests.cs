using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Solving;
using DopCompiler.Search.Timing;

namespace DopCompiler.Search.Tests;

/// <summary>
/// Prompts whose layouts differ per sample (anyres images, different texts): the pricing is the mean of every sample's
/// own cost, computed from the layouts' means and covariance. Checked against pricing each sample's layout alone.
/// </summary>
public sealed class LayoutCovarianceTests
{
    private static readonly TextConfig Config = TinyDecoder.Config;

    private static readonly GroupDefinition[] Groups =
    [
        new("system", "system", true),
        new("image", "image", true),
        new("text", "text", false),
    ];

    private static readonly string[] Names = Groups.Select(g => g.Name).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PolicyCostIsTheMeanOfEverySamplesOwnCost(bool timeModel)
    {
        var samples = Samples(new Random(3), 9);
        ILayerCostModel model = timeModel ? new TimeModel(0.5, 0.01, 0.0004, 0.2, 0.02, "test") : new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa));
        var pooled = new PolicyCost(model, Pool(samples), Config.NumLayers);
        var alone = samples.Select(s => new PolicyCost(model, new MeanLayout(Groups, s.Sizes, s.AlwaysKept), Config.NumLayers)).ToArray();
        var random = new Random(5);
        for (var i = 0; i < 100; i++)
        {
            var policy = RandomPolicy(random);
            var expected = alone.Average(c => c.Of(policy));
            Assert.Equal(expected, pooled.Of(policy), expected * 1e-12);
        }

        // Had the moments been left out, the pooled cost would be the mean sample's, which is lower (Jensen, n² is convex).
        var meanOnly = new PolicyCost(model, Pool(samples) with { Covariance = null }, Config.NumLayers);
        Assert.True(meanOnly.Of(DepthPolicy.Empty) < alone.Average(c => c.Of(DepthPolicy.Empty)) * (1 - 1e-4));
    }

    [Fact]
    public void FlopsBreakdownIsTheMeanOfEverySamplesOwnFlops()
    {
        var samples = Samples(new Random(7), 6);
        var flops = new FlopsModel(Config, FlopsConvention.Gqa);
        var pooled = Pool(samples);
        var random = new Random(8);
        for (var i = 0; i < 50; i++)
        {
            var mask = RandomPolicy(random).ToMask(Names, Config.NumLayers);
            var expected = samples.Average(s => flops.Prefill(mask, s.Sizes, s.AlwaysKept).Total);
            Assert.Equal(expected, flops.Prefill(mask, pooled.Sizes, pooled.AlwaysKept, pooled.Covariance).Total, expected * 1e-12);
        }
    }

    [Fact]
    public void SplittingAndScalingTheImageGroupCarryTheMomentsAlong()
    {
        var samples = Samples(new Random(11), 7);
        var model = new FlopsCostModel(new FlopsModel(Config, FlopsConvention.Gqa));
        var pooled = Pool(samples);

        // n_v = 30 of 120 as ImageTokenSplit states it: the image group scaled to a quarter, or split into key and rest.
        var scaled = new PolicyCost(model, ImageTokenSplit.ScaledLayout(pooled, 30, 120), Config.NumLayers);
        var scaledAlone = samples.Select(s => new PolicyCost(model, ImageTokenSplit.ScaledLayout(new MeanLayout(Groups, s.Sizes, s.AlwaysKept), 30, 120), Config.NumLayers)).ToArray();
        var split = ImageTokenSplit.Groups(Groups, 30, 120);
        var splitNames = split.Select(g => g.Name).ToArray();
        var splitCost = new PolicyCost(model, ImageTokenSplit.Layout(pooled, split, 30, 120), Config.NumLayers);
        var splitAlone = samples.Select(s => new PolicyCost(model, ImageTokenSplit.Layout(new MeanLayout(Groups, s.Sizes, s.AlwaysKept), split, 30, 120), Config.NumLayers)).ToArray();
        var random = new Random(12);
        for (var i = 0; i < 50; i++)
        {
            var policy = RandomPolicy(random);
            Assert.Equal(scaledAlone.Average(c => c.Of(policy)), scaled.Of(policy), scaled.Of(policy) * 1e-12);
            var onSplit = ImageTokenSplit.Policy(policy, Groups, 30, 120, Config.NumLayers);
            Assert.Equal(splitAlone.Average(c => c.Of(onSplit)), splitCost.Of(onSplit), splitCost.Of(onSplit) * 1e-12);
        }

        Assert.Equal(4, splitNames.Length);
    }

    [Fact]
    public void OneLayoutForEverySampleHasNoVariance()
    {
        var covariance = LayoutCovariance.Of([([5, 100, 12], [0, 0, 1]), ([5, 100, 12], [0, 0, 1])]);
        Assert.All(covariance.SelectMany(r => r), v => Assert.Equal(0, v));
        Assert.Equal(0, LayoutCovariance.OfKept(covariance, [true, false, true]));
        Assert.Equal(0, LayoutCovariance.OfKept(null, [true, true, true]));
    }

    /// <summary>Per-sample layouts: a fixed system prompt, an image of 40–200 tokens, 5–20 text tokens of which 1–3 are always kept.</summary>
    private static (double[] Sizes, double[] AlwaysKept)[] Samples(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (new double[] { 6, random.Next(40, 201), random.Next(5, 21) }, new double[] { 0, 0, random.Next(1, 4) })).ToArray();

    private static MeanLayout Pool((double[] Sizes, double[] AlwaysKept)[] samples) => new(Groups,
        Enumerable.Range(0, Groups.Length).Select(g => samples.Average(s => s.Sizes[g])).ToArray(),
        Enumerable.Range(0, Groups.Length).Select(g => samples.Average(s => s.AlwaysKept[g])).ToArray(),
        LayoutCovariance.Of(samples));

    private static DepthPolicy RandomPolicy(Random random) => new(
        Names.Take(2).ToDictionary(n => n, _ => random.Next(Config.NumLayers + 1)),
        Names.Take(2).ToDictionary(n => n, _ => random.Next(Config.NumLayers + 1)));
}
