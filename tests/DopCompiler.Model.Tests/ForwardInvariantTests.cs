using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>The invariants of §8 of the method, on a tiny fixture in fp32.</summary>
public sealed class ForwardInvariantTests : IClassFixture<ForwardInvariantTests.Fixture>
{
    private readonly TinyModel _tiny;

    public ForwardInvariantTests(Fixture fixture) => _tiny = fixture.Tiny;

    [Fact]
    public void ImageFeaturesAreMergedAtTheImageToken()
    {
        var patches = _tiny.Options.ImageSize / _tiny.Options.PatchSize;
        Assert.Equal(new PromptSegments(4, patches * patches, 5), _tiny.Segments);
        Assert.Equal(_tiny.Segments.Length, (int)_tiny.Embeddings.shape[0]);
        using var imageRows = _tiny.Embeddings.narrow(0, 4, patches * patches);
        Assert.True(imageRows.equal(_tiny.ImageFeatures).all().item<bool>());
    }

    [Fact]
    public void ExpandedImageTokensGiveTheSameEmbeddingsAsOne()
    {
        var n = (int)_tiny.ImageFeatures.shape[0];
        var expanded = _tiny.PromptIds.Take(4).Concat(Enumerable.Repeat(_tiny.Options.ImageTokenIndex, n)).Concat(_tiny.PromptIds.Skip(5)).ToArray();
        using var embeddings = _tiny.Model.EmbedPrompt(expanded, _tiny.ImageFeatures, out var segments);
        Assert.Equal(_tiny.Segments, segments);
        Assert.True(embeddings.equal(_tiny.Embeddings).all().item<bool>());
    }

    [Fact]
    public void EmptyPolicyGivesTheReferenceLogitsBitForBit()
    {
        var last = _tiny.Segments.Length - 1;
        using var reference = _tiny.Model.ReferencePrefill(_tiny.Embeddings, [last]);
        using var plan = _tiny.Plan(DepthPolicy.Empty);
        using var pruned = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, plan);
        Assert.True(reference.equal(pruned).all().item<bool>());
    }

    [Fact]
    public void PruningAGroupEverywhereEqualsRemovingItsTokensWithOriginalPositions()
    {
        var layers = _tiny.Layers;
        var segments = _tiny.Segments;
        using var plan = _tiny.Plan(TinyModel.Policy(imageAttention: layers, imageMlp: layers));
        using var pruned = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, plan);

        var keptPositions = Enumerable.Range(0, segments.SystemLength).Concat(Enumerable.Range(segments.TextStart, segments.TextLength)).ToArray();
        using var keptRows = tensor(keptPositions.Select(p => (long)p).ToArray());
        using var shorter = _tiny.Embeddings.index_select(0, keptRows);
        using var reference = _tiny.Model.ReferencePrefill(shorter, [keptPositions.Length - 1], positionIds: keptPositions);
        Assert.True(reference.allclose(pruned, rtol: 1e-5, atol: 1e-5));

        // Positions matter: renumbering the shorter prompt from 0 gives different logits.
        using var renumbered = _tiny.Model.ReferencePrefill(shorter, [keptPositions.Length - 1]);
        Assert.False(renumbered.allclose(pruned, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void PrunedGroupHiddenStateIsUnchangedAcrossPrunedModules()
    {
        var layout = _tiny.Layout();
        var names = layout.Groups.Select(g => g.Name).ToArray();
        var image = layout.IndexOf("image");
        var text = layout.IndexOf("text");
        // Layer 0: image skips attention and MLP, text skips the MLP (but not its last, always-kept position).
        var mask = OperationMask.KeepAll(names, _tiny.Layers);
        mask.SetAttention(0, image, false);
        mask.SetMlp(0, image, false);
        mask.SetMlp(0, text, false);
        using var plan = ExecutionPlan.Build(mask, layout, layout.AlwaysKept, _tiny.Model.Rotary);
        using var after = PrunedForward.RunLayers(_tiny.Model, _tiny.Embeddings, plan, 0, 1);

        var segments = _tiny.Segments;
        using var imageBefore = _tiny.Embeddings.narrow(0, segments.ImageStart, segments.ImageLength);
        using var imageAfter = after.narrow(0, segments.ImageStart, segments.ImageLength);
        Assert.True(imageBefore.equal(imageAfter).all().item<bool>());

        // Text rows (except the last) got the attention update only: recompute it by hand.
        using var noImage = OperationMask_AttentionOnlyReference(segments);
        using var textAfter = after.narrow(0, segments.TextStart, segments.TextLength - 1);
        using var textExpected = noImage.narrow(0, segments.TextStart - segments.ImageLength, segments.TextLength - 1);
        Assert.True(textAfter.allclose(textExpected, rtol: 1e-5, atol: 1e-6));
        using var textBefore = _tiny.Embeddings.narrow(0, segments.TextStart, segments.TextLength - 1);
        Assert.False(textAfter.allclose(textBefore));
    }

    [Fact]
    public void KlIsZeroForTheEmptyPolicyAndPositiveOtherwise()
    {
        var last = _tiny.Segments.Length - 1;
        using var reference = _tiny.Model.ReferencePrefill(_tiny.Embeddings, [last]);
        using var original = Divergence.LogProbabilities(reference);
        using var emptyPlan = _tiny.Plan(DepthPolicy.Empty);
        using var same = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, emptyPlan);
        using var sameLog = Divergence.LogProbabilities(same);
        Assert.Equal(0.0, Divergence.MeanKl(original, sameLog));

        foreach (var depth in Enumerable.Range(1, _tiny.Layers))
        {
            using var plan = _tiny.Plan(TinyModel.Policy(imageAttention: depth, imageMlp: depth));
            using var pruned = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, plan);
            using var prunedLog = Divergence.LogProbabilities(pruned);
            Assert.True(Divergence.MeanKl(original, prunedLog) > 0, $"depth {depth}");
        }
    }

    [Fact]
    public void DeadGroupsLeaveTheSequence()
    {
        var layers = _tiny.Layers;
        using var plan = _tiny.Plan(TinyModel.Policy(imageAttention: 2, imageMlp: 0));
        var segments = _tiny.Segments;
        Assert.Equal(segments.Length, plan.Layers[layers - 3].Positions.Length);
        Assert.NotNull(plan.Layers[layers - 2].Drop);
        Assert.Equal(segments.Length - segments.ImageLength, plan.Layers[layers - 2].Positions.Length);
        Assert.Equal(plan.Layers[layers - 2].Positions.Length, plan.Layers[layers - 2].Mlp.Count);
    }

    private Tensor OperationMask_AttentionOnlyReference(PromptSegments segments)
    {
        // Attention of layer 0 over system + text only (image pruned from keys), at original positions.
        var keep = Enumerable.Range(0, segments.SystemLength).Concat(Enumerable.Range(segments.TextStart, segments.TextLength)).ToArray();
        using var rows = tensor(keep.Select(p => (long)p).ToArray());
        using var x = _tiny.Embeddings.index_select(0, rows);
        using var positions = tensor(keep.Select(p => (long)p).ToArray());
        var (cos, sin) = _tiny.Model.Rotary.Tables(positions);
        using var update = DecoderBlocks.Attention(x, _tiny.Model.Layers[0], _tiny.Model.Config.Text, cos, sin, null, out var k, out var v);
        k.Dispose();
        v.Dispose();
        cos.Dispose();
        sin.Dispose();
        return x + update;
    }

    public sealed class Fixture : IDisposable
    {
        public TinyModel Tiny { get; } = new(new TinyLlavaOptions { WeightScale = 2.0 });

        public void Dispose() => Tiny.Dispose();
    }
}
