using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

// Field names follow the Hugging Face CLIP tensor names, so named_parameters() gives the checkpoint's names.
#pragma warning disable IDE1006

/// <summary><c>vision_tower</c>: holds <c>vision_model</c> (CLIP or SigLIP, by the shape's layout), as in LLaVA checkpoints.</summary>
internal sealed class VisionTowerModule : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> vision_model;

    public VisionTowerModule(ModelShape shape) : base("vision_tower")
    {
        vision_model = shape.IsSiglipQwen2 ? new SiglipVisionTransformer(shape) : new ClipVisionTransformer(shape);
        RegisterComponents();
    }

    /// <summary>Patch features of the last layer without [CLS]: pixels [B, 3, H, W] → [B, N, D_v].</summary>
    public Tensor Forward(Tensor pixels) => vision_model.forward(pixels);
}

internal sealed class ClipVisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm; // (sic) CLIP's name
    private readonly ClipEncoder encoder;
    // Unused by LLaVA (it reads a hidden state before it); kept so the checkpoint is a complete CLIP vision model.
    private readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ModelShape shape) : base("vision_model")
    {
        embeddings = new ClipEmbeddings(shape);
        pre_layrnorm = nn.LayerNorm(shape.VisionHidden, shape.LayerNormEps);
        encoder = new ClipEncoder(shape);
        post_layernorm = nn.LayerNorm(shape.VisionHidden, shape.LayerNormEps);
        post_layernorm.weight!.requires_grad_(false);
        post_layernorm.bias!.requires_grad_(false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        var h = pre_layrnorm.forward(embeddings.Forward(pixels)); // [B, N+1, D_v]
        h = encoder.Forward(h);
        return h.narrow(1, 1, h.shape[1] - 1); // drop [CLS]: [B, N, D_v]
    }
}

internal sealed class ClipEmbeddings : nn.Module
{
    private readonly Parameter class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;
    private readonly int _hidden;

    public ClipEmbeddings(ModelShape shape) : base("embeddings")
    {
        _hidden = shape.VisionHidden;
        class_embedding = new Parameter(randn(shape.VisionHidden) * 0.02);
        patch_embedding = nn.Conv2d(3, shape.VisionHidden, shape.PatchSize, stride: shape.PatchSize, bias: false);
        position_embedding = nn.Embedding(shape.NumPatches + 1, shape.VisionHidden);
        using (no_grad())
        {
            nn.init.normal_(position_embedding.weight!, 0, 0.02);
        }

        RegisterComponents();
    }

    public Tensor Forward(Tensor pixels)
    {
        var b = pixels.shape[0];
        var patches = patch_embedding.forward(pixels).flatten(2).transpose(1, 2); // [B, N, D_v]
        var cls = class_embedding.view(1, 1, _hidden).expand(b, 1, _hidden);
        return cat([cls, patches], 1).Plus(position_embedding.weight!.unsqueeze(0)); // [B, N+1, D_v]
    }
}

internal sealed class ClipEncoder : nn.Module
{
    private readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ModelShape shape) : base("encoder")
    {
        layers = new ModuleList<ClipEncoderLayer>(Enumerable.Range(0, shape.VisionLayers).Select(_ => new ClipEncoderLayer(shape)).ToArray());
        RegisterComponents();
    }

    public Tensor Forward(Tensor h)
    {
        foreach (var layer in layers)
        {
            h = layer.Forward(h);
        }

        return h;
    }
}

internal sealed class ClipEncoderLayer : nn.Module
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ModelShape shape) : base("layer")
    {
        self_attn = new ClipAttention(shape);
        layer_norm1 = nn.LayerNorm(shape.VisionHidden, shape.LayerNormEps);
        mlp = new ClipMlp(shape);
        layer_norm2 = nn.LayerNorm(shape.VisionHidden, shape.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor h)
    {
        h = h.Plus(self_attn.Forward(layer_norm1.forward(h)));
        return h.Plus(mlp.Forward(layer_norm2.forward(h)));
    }
}

internal sealed class ClipAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
    private readonly int _heads, _headDim;

    public ClipAttention(ModelShape shape) : base("self_attn")
    {
        var d = shape.VisionHidden;
        _heads = shape.VisionHeads;
        _headDim = d / _heads;
        q_proj = nn.Linear(d, d);
        k_proj = nn.Linear(d, d);
        v_proj = nn.Linear(d, d);
        out_proj = nn.Linear(d, d);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        var b = x.shape[0];
        var n = x.shape[1];
        Tensor Heads(Linear proj) => proj.forward(x).view(b, n, _heads, _headDim).transpose(1, 2); // [B, H, n, d_h]
        var attended = nn.functional.scaled_dot_product_attention(Heads(q_proj), Heads(k_proj), Heads(v_proj)); // [B, H, n, d_h]
        return out_proj.forward(attended.transpose(1, 2).reshape(b, n, _heads * _headDim));
    }
}

internal sealed class ClipMlp : nn.Module
{
    private readonly Linear fc1, fc2;
    private readonly bool _tanhGelu;

    public ClipMlp(ModelShape shape) : base("mlp")
    {
        _tanhGelu = shape.IsSiglipQwen2;
        fc1 = nn.Linear(shape.VisionHidden, shape.VisionIntermediate);
        fc2 = nn.Linear(shape.VisionIntermediate, shape.VisionHidden);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        var y = fc1.forward(x);
        // SigLIP's gelu_pytorch_tanh is nn.functional.gelu(x, approximate="tanh"); CLIP's quick_gelu is x·σ(1.702x).
        y = _tanhGelu ? nn.functional.gelu(y, GELU.Approximate.tanh) : y * torch.sigmoid(y.Times(1.702));
        return fc2.forward(y);
    }
}

/// <summary><c>multi_modal_projector</c>: linear → gelu → linear.</summary>
internal sealed class ProjectorModule : nn.Module
{
    private readonly Linear linear_1, linear_2;

    public ProjectorModule(ModelShape shape) : base("multi_modal_projector")
    {
        linear_1 = nn.Linear(shape.VisionHidden, shape.Hidden);
        linear_2 = nn.Linear(shape.Hidden, shape.Hidden);
        RegisterComponents();
    }

    public Tensor Forward(Tensor features) => linear_2.forward(nn.functional.gelu(linear_1.forward(features)));
}
