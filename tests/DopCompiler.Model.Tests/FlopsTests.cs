using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;

namespace DopCompiler.Model.Tests;

public sealed class FlopsTests : IClassFixture<ForwardInvariantTests.Fixture>
{
    private readonly TinyModel _tiny;

    public FlopsTests(ForwardInvariantTests.Fixture fixture) => _tiny = fixture.Tiny;

    public static TheoryData<int, int, int, int> Policies => new()
    {
        { 0, 0, 0, 0 },
        { 2, 0, 0, 0 },
        { 0, 3, 0, 0 },
        { 1, 4, 0, 2 },
        { 4, 4, 0, 0 },
        { 2, 1, 3, 1 },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void AnalyticCountEqualsExecutedMatrixProductFlops(int imageAttention, int imageMlp, int textAttention, int textMlp)
    {
        var policy = TinyModel.Policy(imageAttention, imageMlp, textAttention, textMlp);
        using var plan = _tiny.Plan(policy);
        var executed = new ExecutedFlops();
        using var logits = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, plan, executed);

        var model = new FlopsModel(_tiny.Model.Config.Text, FlopsConvention.Gqa);
        var analytic = model.Prefill(plan.Mask, plan.Layout);
        Assert.Equal(executed.Projections, analytic.Projections);
        Assert.Equal(executed.AttentionScores, analytic.Attention);
        Assert.Equal(executed.Mlp, analytic.Mlp);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Qwen2BiasesAreCountedLikeTheyAreExecuted(int imageAttention, int imageMlp, int textAttention, int textMlp)
    {
        using var qwen = new TinyModel(new TestFixtures.TinyLlavaOptions { TextType = "qwen2", VisionType = "siglip", FeatureStrategy = "full" });
        using var plan = qwen.Plan(TinyModel.Policy(imageAttention, imageMlp, textAttention, textMlp));
        var executed = new ExecutedFlops();
        using var logits = PrunedForward.Prefill(qwen.Model, qwen.Embeddings, plan, executed);
        var analytic = new FlopsModel(qwen.Model.Config.Text, FlopsConvention.Gqa).Prefill(plan.Mask, plan.Layout);
        Assert.Equal(executed.Projections, analytic.Projections);
        Assert.Equal(executed.Total, analytic.Total);

        // The same layout without the biases counts exactly one add per q/k/v output element less.
        var unbiased = new FlopsModel(qwen.Model.Config.Text with { QkvBias = false }, FlopsConvention.Gqa).Prefill(plan.Mask, plan.Layout);
        var text = qwen.Model.Config.Text;
        var expected = analytic.Layers.Sum(l => (l.Queries * (double)text.QueryWidth) + (2.0 * l.KeyValues * text.KeyValueWidth));
        Assert.Equal(expected, analytic.Projections - unbiased.Projections);
    }

    [Fact]
    public void ReferenceForwardExecutesTheUnprunedCount()
    {
        var executed = new ExecutedFlops();
        using var logits = _tiny.Model.ReferencePrefill(_tiny.Embeddings, [_tiny.Segments.Length - 1], executed);
        var names = _tiny.Layout().Groups.Select(g => g.Name).ToArray();
        var analytic = new FlopsModel(_tiny.Model.Config.Text, FlopsConvention.Gqa).Prefill(OperationMask.KeepAll(names, _tiny.Layers), _tiny.Layout());
        Assert.Equal(executed.Total, analytic.Total);
    }

    [Fact]
    public void PaperConventionReproducesLlava15SevenBFigure()
    {
        // The predecessor code's figure: a full LLaVA-1.5-7B prompt of 711 tokens is 9.47 TFLOPs.
        var config = new TextConfig
        {
            HiddenSize = 4096, IntermediateSize = 11008, NumLayers = 32, NumHeads = 32, NumKeyValueHeads = 32, HeadDim = 128,
            VocabSize = 32000, RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = false,
        };
        var mask = OperationMask.KeepAll(["all"], 32);
        var flops = new FlopsModel(config, FlopsConvention.Paper).Prefill(mask, [711.0], [1.0]);
        Assert.Equal(9.47, flops.Total / 1e12, 2);
    }

    [Fact]
    public void PruningReducesFlopsMonotonically()
    {
        var model = new FlopsModel(_tiny.Model.Config.Text, FlopsConvention.Gqa);
        var previous = double.MaxValue;
        for (var depth = 0; depth <= _tiny.Layers; depth++)
        {
            using var plan = _tiny.Plan(TinyModel.Policy(imageAttention: depth, imageMlp: depth));
            var total = model.Prefill(plan.Mask, plan.Layout).Total;
            Assert.True(total < previous);
            previous = total;
        }
    }
}
