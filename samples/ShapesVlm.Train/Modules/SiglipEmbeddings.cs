using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

#pragma warning disable IDE1006

/// <summary>
/// SiglipVisionEmbeddings: a patch convolution with bias (nn.Conv2d's default, padding "valid") and one learned position
/// embedding per patch; no class token.
/// </summary>
internal sealed class SiglipEmbeddings : nn.Module
{
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;

    public SiglipEmbeddings(ModelShape shape) : base("embeddings")
    {
        patch_embedding = nn.Conv2d(3, shape.VisionHidden, shape.PatchSize, stride: shape.PatchSize, bias: true);
        position_embedding = nn.Embedding(shape.NumPatches, shape.VisionHidden);
        using (no_grad())
        {
            nn.init.normal_(position_embedding.weight!, 0, 0.02);
        }

        RegisterComponents();
    }

    public Tensor Forward(Tensor pixels)
    {
        var patches = patch_embedding.forward(pixels).flatten(2).transpose(1, 2); // [B, N, D_v]
        return patches.Plus(position_embedding.weight!.unsqueeze(0)); // [B, N, D_v]
    }
}
