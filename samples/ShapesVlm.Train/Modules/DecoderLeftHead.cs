using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

#pragma warning disable IDE1006

/// <summary>
/// Training-only head on the decoder's image-token states after layer <see cref="AfterLayer"/>: the kind of the shape in
/// the cell directly left (<see cref="PatchLabels.Relations"/>, target 0), over occupied cells' patches. Why in the
/// decoder and not only on the projected features: the vision tower must learn the "two patches to the left" lookup
/// from learned absolute positions, and its left head stayed at predicting "none" for 3,100 steps; in the decoder an
/// image token's left neighbour cell is always two sequence positions back (raster order, 2×2 patches a cell), a fixed
/// relative offset that RoPE attention expresses directly, and the earlier position is visible under the causal mask.
/// The answer rows of later layers then read it from the anchor's own tokens, as ColorOf reads colour. Created only when
/// its loss is on (after <see cref="AuxHeads"/>), so runs without it keep their seed-determined initialisation; not
/// exported.
/// </summary>
internal sealed class DecoderLeftHead : nn.Module
{
    private readonly Linear decoder_left_head;

    public DecoderLeftHead(ModelShape shape, int afterLayer) : base("aux_decoder")
    {
        if (afterLayer < 1 || afterLayer >= shape.Layers)
        {
            throw new ArgumentException($"--aux-decoder-left-layer must be in 1..{shape.Layers - 1}, not {afterLayer}");
        }

        AfterLayer = afterLayer;
        decoder_left_head = nn.Linear(shape.Hidden, PatchLabels.LeftClasses);
        RegisterComponents();
        using var noGrad = no_grad();
        nn.init.normal_(decoder_left_head.weight!, 0, 0.02);
        decoder_left_head.bias!.zero_();
    }

    /// <summary>How many decoder layers run before the head reads the image tokens' residual stream.</summary>
    public int AfterLayer { get; }

    /// <summary>
    /// Weighted cross-entropy: image states [B, N, d] (un-normalised residual stream; the head sees them layer-normed, so
    /// the loss does not push on the stream's scale), relation labels [B, N, 2].
    /// </summary>
    public Tensor Loss(Tensor imageStates, Tensor relationLabels, double neighbourWeight)
    {
        using var weights = PatchLabels.LeftClassWeights(neighbourWeight);
        return nn.functional.cross_entropy(Logits(imageStates).reshape(-1, PatchLabels.LeftClasses), relationLabels.select(-1, 0).reshape(-1),
            weight: weights, ignore_index: PatchLabels.Ignore);
    }

    /// <summary>Accuracy over occupied cells' patches, and the same over those whose left cell holds a shape.</summary>
    public (double All, double Neighbours) Accuracy(Tensor imageStates, Tensor relationLabels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var labels = relationLabels.select(-1, 0);
        var right = Logits(imageStates).argmax(-1).eq(labels);
        using var ignore = PatchLabels.Ignore.ToScalar();
        using var none = 0.ToScalar();
        var occupied = labels.ne(ignore);
        var neighbours = labels.gt(none);
        var n = occupied.sum().item<long>();
        var m = neighbours.sum().item<long>();
        return (n == 0 ? 1 : (double)right.logical_and(occupied).sum().item<long>() / n,
            m == 0 ? 1 : (double)right.logical_and(neighbours).sum().item<long>() / m);
    }

    private Tensor Logits(Tensor imageStates) =>
        decoder_left_head.forward(nn.functional.layer_norm(imageStates, [imageStates.shape[^1]]));
}
