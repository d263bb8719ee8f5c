using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Solving;
using static TorchSharp.torch;

namespace DopCompiler.Search.Tests;

public sealed class CurveTests : IClassFixture<SearchProjectFixture>
{
    private readonly SearchProjectFixture _fixture;

    public CurveTests(SearchProjectFixture fixture) => _fixture = fixture;

    private SearchContext Context => _fixture.Context;

    [Fact]
    public void CurveValuesEqualDirectlyMeasuredSingleParameterDivergences()
    {
        var parameters = CurveBuilder.Parameters(Context.Groups, [PolicyParameter.Attention, PolicyParameter.Mlp]);
        var curves = new CurveBuilder(Context, new SearchStatistics()).Build(parameters, step: 1, reusePrefix: true, new SilentProgress());
        Assert.Equal(4, curves.Count); // attention and MLP of image and text
        foreach (var curve in curves)
        {
            var direct = Enumerable.Range(0, Context.Layers + 1)
                .Select(d => d == 0 ? 0 : DirectKl(CurveBuilder.Single(new PolicyParameter(curve.Module, curve.Group), d))).ToArray();
            for (var depth = 1; depth <= Context.Layers; depth++)
            {
                // Curves are made monotone: each value is the running maximum of the measured ones.
                Assert.Equal(direct.Take(depth + 1).Max(), curve.Kl[depth], 9);
            }

            Assert.Equal(0, curve.Kl[0]);
        }
    }

    [Fact]
    public void PrefixReuseGivesTheSameCurvesWithFewerLayerEvaluations()
    {
        var parameters = CurveBuilder.Parameters(Context.Groups, [PolicyParameter.Attention, PolicyParameter.Mlp]);
        var reuse = new SearchStatistics();
        var full = new SearchStatistics();
        var withReuse = new CurveBuilder(Context, reuse).Build(parameters, 1, reusePrefix: true, new SilentProgress());
        var withoutReuse = new CurveBuilder(Context, full).Build(parameters, 1, reusePrefix: false, new SilentProgress());
        for (var i = 0; i < withReuse.Count; i++)
        {
            for (var v = 0; v <= Context.Layers; v++)
            {
                Assert.Equal(withoutReuse[i].Kl[v], withReuse[i].Kl[v], 9);
            }
        }

        Assert.Equal(full.ValidationRuns, reuse.ValidationRuns);
        // Σ_v v instead of L per value: (L+1)/2L of the work, 0.625 at L = 4 and → 0.5 for deep models.
        var layers = Context.Layers;
        Assert.Equal((double)(layers + 1) / (2 * layers), (double)reuse.LayerEvaluations / full.LayerEvaluations, 9);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    public void ImageTokenCountDivergenceEqualsAPlainForwardOverTheKeptTokens(int count)
    {
        // Independent path: cut the prompt down to the top `count` image tokens by [CLS] attention and run the
        // reference forward over what is left, with the original position ids.
        var groups = Context.Groups;
        var imageTokens = Context.Samples[0].Segments.ImageLength;
        double expected = 0;
        foreach (var sample in Context.Samples)
        {
            using var scope = NewDisposeScope();
            var segments = sample.Segments;
            var top = Enumerable.Range(0, imageTokens).OrderByDescending(i => sample.ClsAttention[i]).ThenBy(i => i).Take(count).Select(i => segments.ImageStart + i).ToHashSet();
            var kept = Enumerable.Range(0, segments.Length).Where(p => p < segments.ImageStart || p >= segments.ImageStart + imageTokens || top.Contains(p)).ToArray();
            var rows = sample.OutputPositions.Select(p => Array.IndexOf(kept, p)).ToArray();
            var logits = Context.Model.ReferencePrefill(sample.Embeddings.index_select(0, tensor(kept.Select(p => (long)p).ToArray())), rows, positionIds: kept);
            expected += Model.Pruning.Divergence.MeanKl(sample.ReferenceLogProbs, Model.Pruning.Divergence.LogProbabilities(logits));
        }

        expected /= Context.Samples.Count;
        var measured = new PolicyEvaluator(Context, new SearchStatistics()).MeanKl(
            ImageTokenSplit.Policy(DepthPolicy.Empty, groups, count, imageTokens, Context.Layers), ImageTokenSplit.Groups(groups, count, imageTokens));
        Assert.True(expected > 0);
        Assert.Equal(expected, measured, 6);
    }

    [Fact]
    public void GridInterpolatesBetweenMeasuredDepths()
    {
        Assert.Equal(new[] { 0, 3, 6, 8 }, CurveBuilder.GridDepths(8, 3));
        var curve = DivergenceCurve.FromMeasured("mlp", "image", 4, new Dictionary<int, double> { [0] = 0, [2] = 0.4, [4] = 0.2 });
        Assert.Equal(new[] { 0, 0.2, 0.4, 0.4, 0.4 }, curve.Kl);
        Assert.Equal(new[] { 0, 2, 4 }, curve.MeasuredDepths);
    }

    [Fact]
    public void EvaluatorMatchesAFullForwardFromTheEmbeddings()
    {
        var policy = new DepthPolicy(new Dictionary<string, int> { ["image"] = 2 }, new Dictionary<string, int> { ["text"] = 1 });
        var evaluator = new PolicyEvaluator(Context, new SearchStatistics());
        Assert.Equal(DirectKl(policy), evaluator.MeanKl(policy, reusePrefix: true), 9);
        Assert.Equal(0.0, evaluator.MeanKl(DepthPolicy.Empty), 12);
    }

    /// <summary>KL from scratch: the unpruned reference forward against the interpreter, no cached state at all.</summary>
    private double DirectKl(DepthPolicy policy)
    {
        var model = Context.Model;
        double total = 0;
        foreach (var sample in Context.Samples)
        {
            using var scope = NewDisposeScope();
            var reference = model.ReferencePrefill(sample.Embeddings, sample.OutputPositions);
            var mask = policy.ToMask(Context.GroupNames, Context.Layers);
            using var plan = ExecutionPlan.Build(mask, sample.Layout, sample.OutputPositions, model.Rotary);
            var pruned = PrunedForward.Prefill(model, sample.Embeddings, plan);
            total += Divergence.MeanKl(Divergence.LogProbabilities(reference), Divergence.LogProbabilities(pruned));
        }

        return total / Context.Samples.Count;
    }
}
