using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

public sealed class DecodingTests : IClassFixture<DecodingTests.Fixture>
{
    private const int NewTokens = 6;
    private readonly TinyModel _tiny;

    public DecodingTests(Fixture fixture) => _tiny = fixture.Tiny;

    [Fact]
    public void CachedGreedyDecodingEqualsRerunningThePrefillEachStep()
    {
        var cached = GreedyDecoder.Generate(_tiny.Model, _tiny.Embeddings, plan: null, NewTokens);
        var rerun = new List<int>();
        var ids = _tiny.PromptIds.ToList();
        for (var step = 0; step < NewTokens; step++)
        {
            using var embeddings = _tiny.Model.EmbedPrompt(ids, _tiny.ImageFeatures, out var segments);
            using var logits = _tiny.Model.ReferencePrefill(embeddings, [segments.Length - 1]);
            var next = (int)logits[0].argmax().item<long>();
            rerun.Add(next);
            ids.Add(next);
        }

        Assert.Equal(NewTokens, cached.Count);
        Assert.Equal(rerun, cached);
    }

    [Fact]
    public void PrunedDecodingWithRaggedCacheEqualsRerunningThePrunedPrefill()
    {
        // Generated tokens are never pruned: re-running the pruned prefill with them appended as always-kept
        // positions must give the same tokens as decoding from the ragged per-layer cache.
        var policy = TinyModel.Policy(imageAttention: 2, imageMlp: 3, textMlp: 1);
        using var plan = _tiny.Plan(policy);
        var cached = GreedyDecoder.Generate(_tiny.Model, _tiny.Embeddings, plan, NewTokens);

        var rerun = new List<int>();
        var ids = _tiny.PromptIds.ToList();
        for (var step = 0; step < NewTokens; step++)
        {
            using var embeddings = _tiny.Model.EmbedPrompt(ids, _tiny.ImageFeatures, out var segments);
            using var stepPlan = TinyPlan(segments, policy, alwaysKeptTail: step + 1);
            using var logits = PrunedForward.Prefill(_tiny.Model, embeddings, stepPlan);
            var next = (int)logits[^1].argmax().item<long>();
            rerun.Add(next);
            ids.Add(next);
        }

        Assert.Equal(rerun, cached);
        // And the policy does change the answer path somewhere (otherwise this test would prove little).
        using var probe = _tiny.Plan(policy);
        using var prunedLogits = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, probe);
        using var referenceLogits = _tiny.Model.ReferencePrefill(_tiny.Embeddings, [_tiny.Segments.Length - 1]);
        Assert.False(prunedLogits.allclose(referenceLogits, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void RaggedCacheHoldsOnlyKeptKeys()
    {
        var layers = _tiny.Layers;
        using var plan = _tiny.Plan(TinyModel.Policy(imageAttention: 2));
        var cache = _tiny.Model.NewCache();
        using var logits = PrunedForward.Prefill(_tiny.Model, _tiny.Embeddings, plan, cache: cache);
        Assert.Equal(_tiny.Segments.Length, cache[0].Length);
        Assert.Equal(_tiny.Segments.Length - _tiny.Segments.ImageLength, cache[layers - 1].Length);
        foreach (var c in cache)
        {
            c.Dispose();
        }
    }

    private ExecutionPlan TinyPlan(PromptSegments segments, DepthPolicy policy, int alwaysKeptTail)
    {
        var layout = TokenGroupLayout.ForLlava(segments, alwaysKeptTail);
        var mask = policy.ToMask(layout.Groups.Select(g => g.Name).ToArray(), _tiny.Layers);
        return ExecutionPlan.Build(mask, layout, [segments.Length - 1], _tiny.Model.Rotary);
    }

    public sealed class Fixture : IDisposable
    {
        public TinyModel Tiny { get; } = new(new TinyLlavaOptions { WeightScale = 3.0, Seed = 3 });

        public void Dispose() => Tiny.Dispose();
    }
}
