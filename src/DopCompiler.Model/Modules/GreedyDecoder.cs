using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>Greedy decoding with a (ragged, per-layer) KV cache after a reference or policy-pruned prefill.</summary>
public static class GreedyDecoder
{
    /// <summary>
    /// Generates up to <paramref name="maxNewTokens"/> tokens after the prompt in <paramref name="embeddings"/>, stopping
    /// at <paramref name="eosTokenId"/> (not included). With a <paramref name="plan"/> the prefill is pruned and each
    /// layer's cache holds only the keys/values that layer kept; generated tokens run every module.
    /// </summary>
    public static IReadOnlyList<int> Generate(LlavaModel model, Tensor embeddings, ExecutionPlan? plan, int maxNewTokens, int eosTokenId = -1)
    {
        using var noGrad = no_grad();
        var cache = model.NewCache();
        try
        {
            var length = (int)embeddings.shape[0];
            using var first = plan is null
                ? model.ReferencePrefill(embeddings, [length - 1], cache: cache)
                : PrunedForward.Prefill(model, embeddings, plan, cache: cache);
            using var last = first[^1];
            return Continue(model, last, length, cache, maxNewTokens, eosTokenId);
        }
        finally
        {
            foreach (var layer in cache)
            {
                layer.Dispose();
            }
        }
    }

    /// <summary>
    /// The decoding loop after any prefill that filled <paramref name="cache"/>: <paramref name="firstLogits"/> [V] are
    /// the last prompt position's; the next token sits at position <paramref name="promptLength"/>.
    /// </summary>
    public static IReadOnlyList<int> Continue(LlavaModel model, Tensor firstLogits, int promptLength, IReadOnlyList<LayerKvCache> cache, int maxNewTokens, int eosTokenId)
    {
        var tokens = new List<int>();
        var next = ArgMax(firstLogits);
        for (var step = 0; step < maxNewTokens && next != eosTokenId; step++)
        {
            tokens.Add(next);
            if (step + 1 == maxNewTokens)
            {
                break;
            }

            using var logits = model.DecodeStep(next, promptLength + step, cache);
            next = ArgMax(logits);
        }

        return tokens;
    }

    private static int ArgMax(Tensor logits)
    {
        using var index = logits.argmax();
        return (int)index.item<long>();
    }
}
