using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// The two residual branches of a LLaMA or Qwen2 decoder layer over a set of rows (Qwen2 adds q/k/v biases). The reference forward, the policy
/// interpreter and generated classes all call these, so they differ only in which rows they pass.
/// </summary>
public static class DecoderBlocks
{
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        using var variance = x.square().mean([-1L], keepdim: true);
        using var inverse = variance.PlusScalar(eps).rsqrt_();
        using var normalized = x * inverse;
        return normalized * weight;
    }

    /// <summary>
    /// Self-attention branch for rows <paramref name="x"/> [n, d] whose original positions give <paramref name="cos"/>
    /// and <paramref name="sin"/> [n, d_h]. Rows are in position order and are their own keys, so the causal mask is
    /// the kernel's. Returns the residual update [n, d]; the rotated keys and values [H_kv, n, d_h] go to
    /// <paramref name="keys"/>/<paramref name="values"/> for a KV cache (caller disposes).
    /// </summary>
    public static Tensor Attention(Tensor x, DecoderLayerWeights weights, TextConfig config, Tensor cos, Tensor sin,
        ExecutedFlops? flops, out Tensor keys, out Tensor values)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var (q, k, v) = Project(x, weights, config, cos, sin, flops);
        var output = AttendAndProject(q, k, v, weights, config, causal: true, flops);
        keys = k.MoveToOuterDisposeScope();
        values = v.MoveToOuterDisposeScope();
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>One decoding step's attention: new rows x [1, d] attend to cached keys/values plus themselves.</summary>
    public static Tensor AttentionWithCache(Tensor x, DecoderLayerWeights weights, TextConfig config, Tensor cos, Tensor sin,
        LayerKvCache cache, ExecutedFlops? flops)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(x, weights, config, cos, sin, flops);
        cache.Append(k, v);
        // Every cached position precedes the new one: no mask needed.
        var output = AttendAndProject(q, cache.Keys!, cache.Values!, weights, config, causal: false, flops);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>MLP branch (SwiGLU) for rows x [n, d]; returns the residual update [n, d].</summary>
    public static Tensor Mlp(Tensor x, DecoderLayerWeights weights, TextConfig config, ExecutedFlops? flops)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var f = config.IntermediateSize;
        var normed = RmsNorm(x, weights.PostAttentionNorm!, config.RmsNormEps);
        var gateUp = weights.GateUpProj!.Apply(normed); // [n, 2f]
        flops?.Linear(mlp: true, n, config.HiddenSize, 2L * f);
        var hidden = nn.functional.silu(gateUp.narrow(1, 0, f)).mul_(gateUp.narrow(1, f, f)); // [n, f]
        var output = weights.DownProj!.Apply(hidden); // [n, d]
        flops?.Linear(mlp: true, n, f, config.HiddenSize);
        return output.MoveToOuterDisposeScope();
    }

    private static (Tensor Q, Tensor K, Tensor V) Project(Tensor x, DecoderLayerWeights weights, TextConfig config, Tensor cos, Tensor sin, ExecutedFlops? flops)
    {
        var n = x.shape[0];
        var normed = RmsNorm(x, weights.InputNorm!, config.RmsNormEps);
        var qkv = weights.QkvProj!.Apply(normed); // [n, H·d_h + 2·H_kv·d_h]
        flops?.Linear(mlp: false, n, config.HiddenSize, config.QueryWidth + (2L * config.KeyValueWidth));
        if (weights.QkvBias is not null)
        {
            // Added after the product (fp32, whatever the compute precision) rather than inside it.
            qkv.PlusInPlace(weights.QkvBias);
            flops?.Bias(n, config.QueryWidth + (2L * config.KeyValueWidth));
        }

        var q = qkv.narrow(1, 0, config.QueryWidth).view(n, config.NumHeads, config.HeadDim).transpose(0, 1); // [H, n, d_h]
        var k = qkv.narrow(1, config.QueryWidth, config.KeyValueWidth).view(n, config.NumKeyValueHeads, config.HeadDim).transpose(0, 1);
        var v = qkv.narrow(1, config.QueryWidth + config.KeyValueWidth, config.KeyValueWidth)
            .view(n, config.NumKeyValueHeads, config.HeadDim).transpose(0, 1).contiguous(); // [H_kv, n, d_h]
        return (RotaryEmbedding.Apply(q, cos, sin), RotaryEmbedding.Apply(k, cos, sin), v);
    }

    private static Tensor AttendAndProject(Tensor q, Tensor k, Tensor v, DecoderLayerWeights weights, TextConfig config, bool causal, ExecutedFlops? flops)
    {
        var groups = config.NumHeads / config.NumKeyValueHeads;
        if (groups > 1)
        {
            // TorchSharp 0.107's SDPA has no grouped-query option: repeat each KV head for its query heads.
            k = k.repeat_interleave(groups, dim: 0);
            v = v.repeat_interleave(groups, dim: 0);
        }

        var nq = q.shape[1];
        var nk = k.shape[1];
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal && nq > 1); // [H, n, d_h]
        flops?.Attention(config.NumHeads, config.HeadDim, nq, nk);
        var merged = attended.transpose(0, 1).reshape(nq, config.QueryWidth); // [n, H·d_h]
        var output = weights.OProj!.Apply(merged);
        flops?.Linear(mlp: false, nq, config.QueryWidth, config.HiddenSize);
        return output;
    }
}
