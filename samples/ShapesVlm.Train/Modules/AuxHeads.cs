using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

#pragma warning disable IDE1006

/// <summary>
/// Training-only linear heads that predict each patch's <see cref="PatchLabels"/> class from the vision tower's patch
/// features (and optionally from the projected features). They are not part of <see cref="LlavaForTraining"/>, so the
/// export never sees them; the training checkpoint stores them as <c>aux.*</c>.
/// </summary>
internal sealed class AuxHeads : nn.Module
{
    private readonly Linear vision_patch_head;
    private readonly Linear projector_patch_head;

    public AuxHeads(ModelShape shape) : base("aux")
    {
        vision_patch_head = nn.Linear(shape.VisionHidden, PatchLabels.Classes);
        projector_patch_head = nn.Linear(shape.Hidden, PatchLabels.Classes);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var (_, p) in named_parameters())
        {
            if (p.dim() > 1)
            {
                nn.init.normal_(p, 0, 0.02);
            }
            else
            {
                p.zero_();
            }
        }
    }

    /// <summary>Mean cross-entropy of the vision head over all patches: features [B, N, D_v], labels [B, N].</summary>
    public Tensor VisionLoss(Tensor features, Tensor labels) =>
        nn.functional.cross_entropy(vision_patch_head.forward(features).reshape(-1, PatchLabels.Classes), labels.reshape(-1));

    /// <summary>Mean cross-entropy of the projector head: projected features [B, N, d], labels [B, N].</summary>
    public Tensor ProjectorLoss(Tensor features, Tensor labels) =>
        nn.functional.cross_entropy(projector_patch_head.forward(features).reshape(-1, PatchLabels.Classes), labels.reshape(-1));

    /// <summary>Fraction of patches whose vision-head argmax equals the label.</summary>
    public double VisionAccuracy(Tensor features, Tensor labels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return vision_patch_head.forward(features).argmax(-1).eq(labels).to_type(ScalarType.Float32).mean().item<float>();
    }
}
