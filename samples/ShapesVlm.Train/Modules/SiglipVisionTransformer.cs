using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

// Field names follow the Hugging Face SigLIP tensor names, so named_parameters() gives the checkpoint's names.
#pragma warning disable IDE1006

/// <summary>
/// SigLIP's <c>vision_model</c>: embeddings (no [CLS]), the same pre-LN encoder layers as CLIP (with gelu_pytorch_tanh),
/// no pre-layernorm, and <c>post_layernorm</c>.
/// </summary>
internal sealed class SiglipVisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly SiglipEmbeddings embeddings;
    private readonly ClipEncoder encoder;
    // LLaVA reads hidden_states[vision_feature_layer], which SigLIP collects before this norm (modeling_siglip.py,
    // SiglipVisionTransformer.forward applies it to last_hidden_state only); exported frozen as identity so the
    // checkpoint is a complete SigLIP vision model.
    private readonly LayerNorm post_layernorm;

    public SiglipVisionTransformer(ModelShape shape) : base("vision_model")
    {
        embeddings = new SiglipEmbeddings(shape);
        encoder = new ClipEncoder(shape);
        post_layernorm = nn.LayerNorm(shape.VisionHidden, shape.LayerNormEps);
        post_layernorm.weight!.requires_grad_(false);
        post_layernorm.bias!.requires_grad_(false);
        RegisterComponents();
    }

    /// <summary>Last encoder layer's output, every patch (strategy <c>full</c>): pixels [B, 3, H, W] → [B, N, D_v].</summary>
    public override Tensor forward(Tensor pixels) => encoder.Forward(embeddings.Forward(pixels));
}
