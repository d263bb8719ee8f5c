using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// The vision tower run up to LLaVA's feature layer: CLIP ViT (pre-layernorm, [CLS] + patch embeddings, bias-free patch
/// convolution) or SigLIP (patch convolution with bias, learned position embedding per patch, no [CLS], no pre-layernorm).
/// Both use pre-LN encoder layers with biased q/k/v/out and fc1/fc2 projections.
/// </summary>
/// <remarks>
/// No <c>post_layernorm</c> for either tower: LLaVA reads <c>image_outputs.hidden_states[vision_feature_layer]</c>
/// (modeling_llava.py, <c>get_image_features</c>), and the encoders collect <c>hidden_states</c> before the tower's final
/// norm, which touches only <c>last_hidden_state</c> (modeling_siglip.py, <c>SiglipVisionTransformer.forward</c>:
/// <c>last_hidden_state = encoder_outputs[0]; last_hidden_state = self.post_layernorm(last_hidden_state)</c>, while
/// <c>hidden_states=encoder_outputs.hidden_states</c> is passed on as it came). So even <c>vision_feature_layer: -1</c>
/// (llava-interleave's) is the last encoder layer's output without the norm.
/// </remarks>
public sealed class VisionTower : IDisposable
{
    private readonly VisionConfig _config;
    private readonly int _layersUsed;
    private readonly Tensor? _classEmbedding;  // [D] (CLIP)
    private readonly Tensor _patchEmbedding;   // [D, C, p, p]
    private readonly Tensor? _patchBias;       // [D] (SigLIP)
    private readonly Tensor _positionEmbedding; // [N(+1), D]
    private readonly Tensor? _preNormWeight;   // CLIP
    private readonly Tensor? _preNormBias;
    private readonly VisionLayer[] _layers;

    public VisionTower(CheckpointTensors tensors, TensorNaming naming, VisionConfig config, int layersUsed, WeightResidency residency)
    {
        _config = config;
        _layersUsed = layersUsed;
        var p = naming.Vision;
        _patchEmbedding = tensors.Load(p + "embeddings.patch_embedding.weight");
        _positionEmbedding = tensors.Load(p + "embeddings.position_embedding.weight");
        if (config.HasClassToken)
        {
            _classEmbedding = tensors.Load(p + "embeddings.class_embedding");
            // "pre_layrnorm" (sic) is the name CLIP checkpoints use.
            _preNormWeight = tensors.Load(p + "pre_layrnorm.weight");
            _preNormBias = tensors.Load(p + "pre_layrnorm.bias");
        }
        else
        {
            // SiglipVisionEmbeddings: nn.Conv2d(..., padding="valid") keeps its default bias=True.
            _patchBias = tensors.Load(p + "embeddings.patch_embedding.bias");
        }

        var sequence = config.NumPatches + (config.HasClassToken ? 1 : 0);
        if (_positionEmbedding.shape.Length != 2 || _positionEmbedding.shape[0] != sequence || _positionEmbedding.shape[1] != config.HiddenSize)
        {
            throw new DopException(DiagnosticCodes.MissingTensor,
                $"tensor {p}embeddings.position_embedding.weight has shape [{string.Join(", ", _positionEmbedding.shape)}], the config implies [{sequence}, {config.HiddenSize}]",
                tensors.Folder);
        }

        _layers = Enumerable.Range(0, layersUsed).Select(i => new VisionLayer(tensors, naming, i, residency)).ToArray();
    }

    /// <summary>
    /// Features of the selected hidden state, [N(+1), D] for one image, and the [CLS] query's attention over the
    /// patches in the last layer run (mean over heads, [N]), used to rank image tokens. A tower without [CLS] (SigLIP)
    /// returns an empty score tensor: there is no such ranking to give (see docs/spec.md, <c>ranking</c>).
    /// </summary>
    public (Tensor Features, Tensor ClsAttention) Forward(Tensor pixels, FeatureSelectStrategy strategy)
    {
        using var scope = NewDisposeScope();
        var d = _config.HiddenSize;
        var patches = nn.functional.conv2d(pixels.unsqueeze(0), _patchEmbedding, _patchBias, strides: [_config.PatchSize, _config.PatchSize]); // [1, D, g, g]
        var tokens = patches.flatten(2).squeeze(0).transpose(0, 1); // [N, D]
        Tensor h;
        if (_classEmbedding is not null)
        {
            h = cat([_classEmbedding.unsqueeze(0), tokens], 0).Plus(_positionEmbedding); // [N+1, D]
            h = nn.functional.layer_norm(h, [d], _preNormWeight, _preNormBias, _config.LayerNormEps);
        }
        else
        {
            h = tokens.Plus(_positionEmbedding); // [N, D]
        }

        Tensor? clsAttention = null;
        for (var i = 0; i < _layers.Length; i++)
        {
            h = _layers[i].Forward(h, _config, wantClsAttention: _config.HasClassToken && i == _layers.Length - 1, out clsAttention);
        }

        clsAttention ??= _config.HasClassToken
            ? ones(_config.NumPatches, device: pixels.device).Times(1.0 / _config.NumPatches)
            : empty(0, device: pixels.device);
        // LLaVA's default strategy drops the first row whatever it is ([CLS] on CLIP, the first patch on SigLIP).
        var features = strategy == FeatureSelectStrategy.Default ? h.narrow(0, 1, h.shape[0] - 1) : h;
        return (features.MoveToOuterDisposeScope(), clsAttention.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        foreach (var t in new[] { _classEmbedding, _patchEmbedding, _patchBias, _positionEmbedding, _preNormWeight, _preNormBias })
        {
            t?.Dispose();
        }

        foreach (var layer in _layers)
        {
            layer.Dispose();
        }
    }

    private sealed class VisionLayer : IDisposable
    {
        private readonly Tensor _ln1W, _ln1B, _ln2W, _ln2B;
        private readonly WeightMatrix _qkv, _out, _fc1, _fc2;

        public VisionLayer(CheckpointTensors t, TensorNaming naming, int i, WeightResidency residency)
        {
            Tensor L(string rest) => t.Load(naming.VisionLayer(i, rest));
            string[] N(params string[] rests) => rests.Select(r => naming.VisionLayer(i, r)).ToArray();
            _ln1W = L("layer_norm1.weight");
            _ln1B = L("layer_norm1.bias");
            _qkv = WeightMatrix.Load(t, N("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"), residency,
                N("self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"));
            _out = WeightMatrix.Load(t, N("self_attn.out_proj.weight"), residency, N("self_attn.out_proj.bias"));
            _ln2W = L("layer_norm2.weight");
            _ln2B = L("layer_norm2.bias");
            _fc1 = WeightMatrix.Load(t, N("mlp.fc1.weight"), residency, N("mlp.fc1.bias"));
            _fc2 = WeightMatrix.Load(t, N("mlp.fc2.weight"), residency, N("mlp.fc2.bias"));
        }

        public Tensor Forward(Tensor h, VisionConfig config, bool wantClsAttention, out Tensor? clsAttention)
        {
            var n = h.shape[0];
            var d = config.HiddenSize;
            var heads = config.NumHeads;
            var dh = d / heads;
            var x = nn.functional.layer_norm(h, [d], _ln1W, _ln1B, config.LayerNormEps);
            var qkv = _qkv.Apply(x); // [n, 3D]
            var q = qkv.narrow(1, 0, d).view(n, heads, dh).transpose(0, 1);
            var k = qkv.narrow(1, d, d).view(n, heads, dh).transpose(0, 1);
            var v = qkv.narrow(1, 2 * d, d).view(n, heads, dh).transpose(0, 1);
            var attended = nn.functional.scaled_dot_product_attention(q, k, v); // [heads, n, dh]
            clsAttention = null;
            if (wantClsAttention)
            {
                // Attention the [CLS] query pays each patch, averaged over heads: the ranking LLaVA token reducers use.
                var scores = matmul(q.narrow(1, 0, 1), k.transpose(1, 2)).Times(1 / Math.Sqrt(dh)); // [heads, 1, n]
                clsAttention = scores.softmax(-1).mean([0L]).squeeze(0).narrow(0, 1, n - 1); // [N]
            }

            h = h.Plus(_out.Apply(attended.transpose(0, 1).reshape(n, d)));
            var y = nn.functional.layer_norm(h, [d], _ln2W, _ln2B, config.LayerNormEps);
            y = _fc1.Apply(y);
            y = config.HiddenAct switch
            {
                "quick_gelu" => y * torch.sigmoid(y.Times(1.702)),
                // transformers' gelu_pytorch_tanh is nn.functional.gelu(x, approximate="tanh").
                "gelu_pytorch_tanh" => nn.functional.gelu(y, TorchSharp.Modules.GELU.Approximate.tanh),
                _ => nn.functional.gelu(y),
            };
            return h.Plus(_fc2.Apply(y));
        }

        public void Dispose()
        {
            foreach (var t in new[] { _ln1W, _ln1B, _ln2W, _ln2B })
            {
                t.Dispose();
            }

            foreach (var m in new[] { _qkv, _out, _fc1, _fc2 })
            {
                m.Dispose();
            }
        }
    }
}
