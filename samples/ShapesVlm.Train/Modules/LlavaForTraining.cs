using DopCompiler.Model.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train.Modules;

#pragma warning disable IDE1006

/// <summary>
/// The trainable LLaVA model: CLIP (or SigLIP) vision tower, two-layer projector, LLaMA (or Qwen2) decoder, by the shape's
/// <see cref="ModelShape.Layout"/>. Its parameter names are the Hugging Face (pre-4.52) LLaVA names, so
/// <see cref="nn.Module.named_parameters"/> is the checkpoint.
/// </summary>
internal sealed class LlavaForTraining : nn.Module
{
    private readonly VisionTowerModule vision_tower;
    private readonly ProjectorModule multi_modal_projector;
    private readonly LanguageModelModule language_model;
    private readonly RotaryEmbedding _rotary;

    public LlavaForTraining(ModelShape shape) : base("llava")
    {
        Shape = shape;
        vision_tower = new VisionTowerModule(shape);
        multi_modal_projector = new ProjectorModule(shape);
        language_model = new LanguageModelModule(shape);
        _rotary = new RotaryEmbedding(shape.HeadDim, shape.RopeTheta);
        RegisterComponents();
        Initialize();
    }

    public ModelShape Shape { get; }

    /// <summary>Logits [Q, S, V] at every suffix row of every question (rows past a question's length are padding).</summary>
    public Tensor SuffixLogits(BatchTensors batch)
    {
        var hs = DecoderSuffix(batch, 0, out _, out _, out _);
        return language_model.Logits(hs);
    }

    /// <summary>Logits [R, V] at the rows that predict answer tokens (<see cref="BatchTensors.LossRows"/>).</summary>
    public Tensor AnswerLogits(BatchTensors batch) => AnswerLogits(batch, out _, out _);

    /// <summary>As <see cref="AnswerLogits(BatchTensors)"/>, also returning the vision tower's patch features [B, N, D_v] and the projected ones [B, N, d].</summary>
    public Tensor AnswerLogits(BatchTensors batch, out Tensor visionFeatures, out Tensor projectedFeatures) =>
        AnswerLogits(batch, 0, out visionFeatures, out projectedFeatures, out _);

    /// <summary>
    /// As <see cref="AnswerLogits(BatchTensors, out Tensor, out Tensor)"/>, also returning the image tokens' decoder states
    /// [B, N, d] after <paramref name="tapAfterLayer"/> layers (null for 0), for <see cref="DecoderLeftHead"/>.
    /// </summary>
    public Tensor AnswerLogits(BatchTensors batch, int tapAfterLayer, out Tensor visionFeatures, out Tensor projectedFeatures, out Tensor? imageStates)
    {
        var hs = DecoderSuffix(batch, tapAfterLayer, out visionFeatures, out projectedFeatures, out var tapped);
        imageStates = tapped?.narrow(1, batch.PrefixIds.shape[0], projectedFeatures.shape[1]);
        var rows = hs.reshape(-1, Shape.Hidden).index_select(0, batch.LossRows); // [R, d]
        return language_model.Logits(rows);
    }

    /// <summary>The vision tower's patch features [B, N, D_v] and their projection [B, N, d] (no decoder): the aux pretraining phase.</summary>
    public (Tensor Vision, Tensor Projected) ImageFeatures(Tensor pixels)
    {
        var vision = vision_tower.Forward(pixels);
        return (vision, multi_modal_projector.Forward(vision));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary.Dispose();
        }

        base.Dispose(disposing);
    }

    private Tensor DecoderSuffix(BatchTensors batch, int tapAfterLayer, out Tensor visionFeatures, out Tensor projectedFeatures, out Tensor? tappedPrefix)
    {
        var lm = language_model.Model;
        var images = batch.Pixels.shape[0];
        visionFeatures = vision_tower.Forward(batch.Pixels); // [B, N, D_v]
        var features = multi_modal_projector.Forward(visionFeatures); // [B, N, d]
        projectedFeatures = features;
        var textPrefix = lm.Embed(batch.PrefixIds).unsqueeze(0).expand(images, -1, -1); // [B, P_text, d]
        var prefix = cat([textPrefix, features], 1); // [B, P, d]
        var suffix = lm.Embed(batch.SuffixIds); // [Q, S, d]
        var p = prefix.shape[1];
        var s = suffix.shape[1];
        // Scalars owned here (DopCompiler.Model's ScalarSafe explains the finalizer race they avoid).
        using var start = 0L.ToScalar();
        using var prefixEnd = p.ToScalar();
        using var suffixEnd = (p + s).ToScalar();
        using var minusInfinity = float.NegativeInfinity.ToScalar();
        var (cosP, sinP) = _rotary.Tables(arange(start, prefixEnd, ScalarType.Int64));
        var (cosS, sinS) = _rotary.Tables(arange(prefixEnd, suffixEnd, ScalarType.Int64));
        var causal = full(s, s, minusInfinity).triu(1);
        var mask = cat([zeros(s, p), causal], 1); // [S, P+S]
        var rows = new SharedPrefixRows
        {
            Prefix = prefix,
            Suffix = suffix,
            ImageOfQuestion = batch.ImageOfQuestion,
            PrefixCos = cosP,
            PrefixSin = sinP,
            SuffixCos = cosS,
            SuffixSin = sinS,
            SuffixMask = mask,
        };
        var (_, hs) = lm.Forward(rows, tapAfterLayer, out tappedPrefix);
        return hs; // [Q, S, d]
    }

    /// <summary>GPT-2 style init: N(0, 0.02) weights, residual output projections scaled by 1/√(2·layers), zero biases.</summary>
    private void Initialize()
    {
        using var noGrad = no_grad();
        foreach (var (name, param) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal)
                || name.Contains("layrnorm", StringComparison.Ordinal) || name.Contains("layernorm", StringComparison.Ordinal))
            {
                continue; // norms keep ones/zeros
            }

            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                param.zero_();
                continue;
            }

            var std = 0.02;
            if (name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal))
            {
                std /= Math.Sqrt(2.0 * Shape.Layers);
            }
            else if (name.EndsWith("out_proj.weight", StringComparison.Ordinal) || name.EndsWith("fc2.weight", StringComparison.Ordinal))
            {
                std /= Math.Sqrt(2.0 * Shape.VisionLayers);
            }

            nn.init.normal_(param, 0, std);
        }
    }
}

/// <summary>One batch as tensors: images, the shared text prefix, question suffixes and the answer rows.</summary>
internal sealed class BatchTensors : IDisposable
{
    public required Tensor Pixels { get; init; }          // [B, 3, H, W], normalised
    public required Tensor PrefixIds { get; init; }       // [P_text] (BOS ... before <image>)
    public required Tensor SuffixIds { get; init; }       // [Q, S] (after <image>, answer without EOS), right-padded
    public required Tensor ImageOfQuestion { get; init; } // [Q]
    public required Tensor LossRows { get; init; }        // [R] flat rows into Q·S
    public required Tensor Targets { get; init; }         // [R]
    public Tensor? PatchLabels { get; init; }             // [B, N] aux patch classes (training batches only)
    public Tensor? RelationLabels { get; init; }          // [B, N, 2] aux left-neighbour kind and same-kind count, −100 = none

    public void Dispose()
    {
        Pixels.Dispose();
        PrefixIds.Dispose();
        SuffixIds.Dispose();
        ImageOfQuestion.Dispose();
        LossRows.Dispose();
        Targets.Dispose();
        PatchLabels?.Dispose();
        RelationLabels?.Dispose();
    }
}
