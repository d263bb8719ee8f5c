using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
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
    private readonly Linear projector_left_head;
    private readonly Linear projector_count_head;
    private readonly Linear projector_colour_head;
    private readonly Linear projector_kind_head;

    public AuxHeads(ModelShape shape) : base("aux")
    {
        vision_patch_head = nn.Linear(shape.VisionHidden, PatchLabels.Classes);
        projector_patch_head = nn.Linear(shape.Hidden, PatchLabels.Classes);
        projector_left_head = nn.Linear(shape.Hidden, PatchLabels.LeftClasses);
        projector_count_head = nn.Linear(shape.Hidden, PatchLabels.CountClasses);
        projector_colour_head = nn.Linear(shape.Hidden, 1 + 4);
        projector_kind_head = nn.Linear(shape.Hidden, 1 + 3);
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

    /// <summary>
    /// Relation loss on the projected features (what the decoder reads): left-neighbour kind + same-kind count, mean
    /// cross-entropy over occupied cells' patches. labels [B, N, 2]. <paramref name="neighbourWeight"/> weights the
    /// left targets that name a shape against "none" (~87 % of the targets: on the stream the head stayed at predicting
    /// "none" for 3,100 steps, while on one repeated batch it reaches 100 %, so the rare classes' signal is too weak).
    /// </summary>
    public Tensor RelationLoss(Tensor features, Tensor labels, double neighbourWeight = 1.0)
    {
        using var weights = PatchLabels.LeftClassWeights(neighbourWeight);
        var left = nn.functional.cross_entropy(projector_left_head.forward(features).reshape(-1, PatchLabels.LeftClasses), labels.select(-1, 0).reshape(-1),
            weight: weights, ignore_index: PatchLabels.Ignore);
        var count = nn.functional.cross_entropy(projector_count_head.forward(features).reshape(-1, PatchLabels.CountClasses), labels.select(-1, 1).reshape(-1), ignore_index: PatchLabels.Ignore);
        return left.Plus(count);
    }

    /// <summary>
    /// Attribute loss on the projected features: the patch's colour (none + 4) and kind (none + 3) as two separate
    /// targets, derived from the <see cref="PatchLabels"/> class. The joint 13-class head makes colour decodable but
    /// entangled with kind; ColorOf ("what colour is the circle?") needs colour as its own direction to copy out.
    /// </summary>
    public Tensor AttributeLoss(Tensor features, Tensor labels)
    {
        // Integer Scalars owned here (ScalarSafe's reason): this loss is where a long run once died of the finalizer race.
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        using var four = 4.ToScalar();
        var occupied = labels.gt(zero);
        var fromZero = labels.sub(one);
        var colour = torch.where(occupied, fromZero.remainder(four).add(one, one), zeros_like(labels)).to_type(ScalarType.Int64);
        var kind = torch.where(occupied, fromZero.div(four, RoundingMode.floor).add(one, one), zeros_like(labels)).to_type(ScalarType.Int64);
        return nn.functional.cross_entropy(projector_colour_head.forward(features).reshape(-1, 5), colour.reshape(-1))
            .Plus(nn.functional.cross_entropy(projector_kind_head.forward(features).reshape(-1, 4), kind.reshape(-1)));
    }

    /// <summary>Accuracy of the left-neighbour and count heads over occupied cells' patches.</summary>
    public (double Left, double Count) RelationAccuracy(Tensor features, Tensor labels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var leftLabels = labels.select(-1, 0);
        using var ignore = PatchLabels.Ignore.ToScalar();
        var mask = leftLabels.ne(ignore);
        var n = mask.sum().item<long>();
        if (n == 0)
        {
            return (1, 1);
        }

        var left = projector_left_head.forward(features).argmax(-1).eq(leftLabels).logical_and(mask).sum().item<long>();
        var count = projector_count_head.forward(features).argmax(-1).eq(labels.select(-1, 1)).logical_and(mask).sum().item<long>();
        return ((double)left / n, (double)count / n);
    }

    /// <summary>Fraction of patches whose vision-head argmax equals the label.</summary>
    public double VisionAccuracy(Tensor features, Tensor labels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return vision_patch_head.forward(features).argmax(-1).eq(labels).to_type(ScalarType.Float32).mean().item<float>();
    }
}
