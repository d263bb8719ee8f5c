using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

// Field names follow the Hugging Face LLaMA (and Qwen2) tensor names, so named_parameters() gives the checkpoint's names.
#pragma warning disable IDE1006

/// <summary>
/// Rows of one training batch for the decoder, split at the image: every question about an image shares that image's
/// prefix (BOS, system text, image tokens), which is computed once; each question's suffix (question, answer) attends
/// to its image's prefix and causally to itself. Mathematically the same as running each full sequence causally.
/// </summary>
internal sealed record SharedPrefixRows
{
    /// <summary>Prefix rows [B, P, d] (one per image).</summary>
    public required Tensor Prefix { get; init; }

    /// <summary>Suffix rows [Q, S, d] (one per question, right-padded).</summary>
    public required Tensor Suffix { get; init; }

    /// <summary>Image (prefix row) of each question, int64 [Q].</summary>
    public required Tensor ImageOfQuestion { get; init; }

    /// <summary>RoPE tables [P, d_h] for positions 0..P−1 and [S, d_h] for P..P+S−1.</summary>
    public required Tensor PrefixCos { get; init; }
    public required Tensor PrefixSin { get; init; }
    public required Tensor SuffixCos { get; init; }
    public required Tensor SuffixSin { get; init; }

    /// <summary>Additive mask [S, P+S]: every prefix key, causal over suffix keys (right padding is never attended by real rows).</summary>
    public required Tensor SuffixMask { get; init; }
}

internal sealed class RmsNormModule : nn.Module
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNormModule(int size, double eps) : base("norm")
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x) => x * x.square().mean([-1L], keepdim: true).PlusScalar(_eps).rsqrt() * weight;
}

/// <summary><c>language_model</c>: <c>model</c> (embeddings, layers, norm) and the untied <c>lm_head</c>.</summary>
internal sealed class LanguageModelModule : nn.Module
{
    private readonly LlamaModel model;
    private readonly Linear lm_head;

    public LanguageModelModule(ModelShape shape) : base("language_model")
    {
        model = new LlamaModel(shape);
        lm_head = nn.Linear(shape.Hidden, shape.Vocab, hasBias: false);
        RegisterComponents();
    }

    public LlamaModel Model => model;

    public Tensor Logits(Tensor hidden) => lm_head.forward(model.FinalNorm(hidden));
}

internal sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNormModule norm;

    public LlamaModel(ModelShape shape) : base("model")
    {
        embed_tokens = nn.Embedding(shape.Vocab, shape.Hidden);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, shape.Layers).Select(_ => new LlamaDecoderLayer(shape)).ToArray());
        norm = new RmsNormModule(shape.Hidden, shape.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Embed(Tensor ids) => embed_tokens.forward(ids);

    public Tensor FinalNorm(Tensor h) => norm.Forward(h);

    /// <summary>All layers over shared-prefix rows; returns the final (un-normed) prefix and suffix hidden states.</summary>
    public (Tensor Prefix, Tensor Suffix) Forward(SharedPrefixRows rows) => Forward(rows, 0, out _);

    /// <summary>As <see cref="Forward(SharedPrefixRows)"/>, also returning the prefix states after <paramref name="tapAfterLayer"/> layers (null for 0).</summary>
    public (Tensor Prefix, Tensor Suffix) Forward(SharedPrefixRows rows, int tapAfterLayer, out Tensor? tappedPrefix)
    {
        var hp = rows.Prefix;
        var hs = rows.Suffix;
        tappedPrefix = null;
        for (var i = 0; i < layers.Count; i++)
        {
            (hp, hs) = layers[i].Forward(hp, hs, rows);
            if (i + 1 == tapAfterLayer)
            {
                tappedPrefix = hp;
            }
        }

        return (hp, hs);
    }
}

internal sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNormModule input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNormModule post_attention_layernorm;
    private readonly LlamaMlp mlp;

    public LlamaDecoderLayer(ModelShape shape) : base("layer")
    {
        input_layernorm = new RmsNormModule(shape.Hidden, shape.RmsNormEps);
        self_attn = new LlamaAttention(shape);
        post_attention_layernorm = new RmsNormModule(shape.Hidden, shape.RmsNormEps);
        mlp = new LlamaMlp(shape);
        RegisterComponents();
    }

    public (Tensor Prefix, Tensor Suffix) Forward(Tensor hp, Tensor hs, SharedPrefixRows rows)
    {
        var (ap, as_) = self_attn.Forward(input_layernorm.Forward(hp), input_layernorm.Forward(hs), rows);
        hp = hp.Plus(ap);
        hs = hs.Plus(as_);
        hp = hp.Plus(mlp.Forward(post_attention_layernorm.Forward(hp)));
        hs = hs.Plus(mlp.Forward(post_attention_layernorm.Forward(hs)));
        return (hp, hs);
    }
}

internal sealed class LlamaAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(ModelShape shape) : base("self_attn")
    {
        _heads = shape.Heads;
        _kvHeads = shape.KeyValueHeads;
        _headDim = shape.HeadDim;
        // Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False; LLaMA has none.
        var qkvBias = shape.IsSiglipQwen2;
        q_proj = nn.Linear(shape.Hidden, _heads * _headDim, hasBias: qkvBias);
        k_proj = nn.Linear(shape.Hidden, _kvHeads * _headDim, hasBias: qkvBias);
        v_proj = nn.Linear(shape.Hidden, _kvHeads * _headDim, hasBias: qkvBias);
        o_proj = nn.Linear(_heads * _headDim, shape.Hidden, hasBias: false);
        RegisterComponents();
    }

    public (Tensor Prefix, Tensor Suffix) Forward(Tensor xp, Tensor xs, SharedPrefixRows rows)
    {
        var groups = _heads / _kvHeads;
        var (qp, kp, vp) = Project(xp, rows.PrefixCos, rows.PrefixSin); // [B, H, P, d_h], [B, H_kv, P, d_h]
        var (qs, ks, vs) = Project(xs, rows.SuffixCos, rows.SuffixSin); // [Q, H, S, d_h], [Q, H_kv, S, d_h]

        var prefixOut = nn.functional.scaled_dot_product_attention(
            qp, kp.repeat_interleave(groups, dim: 1), vp.repeat_interleave(groups, dim: 1), is_casual: true); // [B, H, P, d_h]

        var keys = cat([kp.index_select(0, rows.ImageOfQuestion), ks], 2).repeat_interleave(groups, dim: 1); // [Q, H, P+S, d_h]
        var values = cat([vp.index_select(0, rows.ImageOfQuestion), vs], 2).repeat_interleave(groups, dim: 1);
        var suffixOut = nn.functional.scaled_dot_product_attention(qs, keys, values, attn_mask: rows.SuffixMask); // [Q, H, S, d_h]
        return (Merge(prefixOut), Merge(suffixOut));
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Tensor cos, Tensor sin)
    {
        var b = x.shape[0];
        var n = x.shape[1];
        var q = q_proj.forward(x).view(b, n, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, n, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, n, _kvHeads, _headDim).transpose(1, 2);
        return (RotaryEmbedding.Apply(q, cos, sin), RotaryEmbedding.Apply(k, cos, sin), v);
    }

    private Tensor Merge(Tensor attended)
    {
        var b = attended.shape[0];
        var n = attended.shape[2];
        return o_proj.forward(attended.transpose(1, 2).reshape(b, n, _heads * _headDim)); // [b, n, d]
    }
}

internal sealed class LlamaMlp : nn.Module
{
    private readonly Linear gate_proj, up_proj, down_proj;

    public LlamaMlp(ModelShape shape) : base("mlp")
    {
        gate_proj = nn.Linear(shape.Hidden, shape.Intermediate, hasBias: false);
        up_proj = nn.Linear(shape.Hidden, shape.Intermediate, hasBias: false);
        down_proj = nn.Linear(shape.Intermediate, shape.Hidden, hasBias: false);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x) => down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x));
}
