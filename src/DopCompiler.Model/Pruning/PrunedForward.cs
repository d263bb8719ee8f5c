using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Model.Pruning;

/// <summary>
/// The policy interpreter: runs a decoder prefill under an <see cref="ExecutionPlan"/> (§2 of the method): gathers
/// the kept rows per module, scatters their residual updates, drops dead rows, keeps original positions.
/// </summary>
public static class PrunedForward
{
    /// <summary>
    /// Prefill over <paramref name="embeddings"/> [T, d]; returns logits [k, V] for the plan's output rows.
    /// <paramref name="cache"/> (one per layer), when given, receives each layer's kept keys/values for decoding.
    /// </summary>
    public static Tensor Prefill(LlavaModel model, Tensor embeddings, ExecutionPlan plan, ExecutedFlops? flops = null, LayerKvCache[]? cache = null)
    {
        using var noGrad = no_grad();
        using var h = RunLayers(model, embeddings, plan, 0, model.Layers.Count, flops, cache);
        using var rows = plan.Output.Gather(h);
        return model.Logits(rows);
    }

    /// <summary>
    /// Runs layers [<paramref name="from"/>, <paramref name="to"/>) on a hidden state laid out as the plan's sequence
    /// at layer <paramref name="from"/> (before its drop); returns the hidden state after layer <paramref name="to"/> − 1
    /// (owned by the caller, outside any dispose scope).
    /// The search uses it to continue from cached hidden states at a layer boundary.
    /// </summary>
    public static Tensor RunLayers(LlavaModel model, Tensor hidden, ExecutionPlan plan, int from, int to, ExecutedFlops? flops = null, LayerKvCache[]? cache = null)
    {
        using var noGrad = no_grad();
        var h = hidden.clone().DetachFromDisposeScope();
        for (var l = from; l < to; l++)
        {
            h = RunLayer(model, h, plan.Layers[l], l, flops, cache);
        }

        return h;
    }

    /// <summary>
    /// One decoder layer of a plan on the hidden state <paramref name="h"/> (owned by the caller, outside any dispose
    /// scope): the dead-work drop, then attention and MLP over their rows, updated in place. Returns the hidden state
    /// after the layer: <paramref name="h"/> itself, or a smaller copy when rows were dropped (then <paramref name="h"/>
    /// is disposed). Public so that the time-model probe times exactly this code path.
    /// </summary>
    public static Tensor RunLayer(LlavaModel model, Tensor h, LayerPlan layer, int l, ExecutedFlops? flops = null, LayerKvCache[]? cache = null)
    {
        // No no_grad here: it is taken once per forward by the callers (RunLayers, the time-model probe), not per layer.
        using var layerScope = NewDisposeScope();
        var text = model.Config.Text;
        var weights = model.Layers[l];
        if (layer.Drop is { } drop)
        {
            var kept = drop.Gather(h).contiguous().DetachFromDisposeScope();
            h.Dispose();
            h = kept;
        }

        if (!layer.Attention.IsEmpty)
        {
            var x = layer.Attention.Gather(h);
            var update = DecoderBlocks.Attention(x, weights, text, layer.Cos, layer.Sin, flops, out var keys, out var values);
            layer.Attention.AddInto(h, update);
            cache?[l].Append(keys, values);
        }

        if (!layer.Mlp.IsEmpty)
        {
            var x = layer.Mlp.Gather(h);
            layer.Mlp.AddInto(h, DecoderBlocks.Mlp(x, weights, text, flops));
        }

        return h;
    }
}
