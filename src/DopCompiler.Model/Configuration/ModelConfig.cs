namespace DopCompiler.Model.Configuration;

/// <summary>
/// A checkpoint's architecture: a LLaVA model (CLIP or SigLIP tower, two-layer projector, LLaMA or Qwen2 decoder) or a
/// plain LLaMA/Qwen2 decoder (<see cref="Vision"/> null). Read by <see cref="ModelConfigReader"/>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>llava</c>, <c>llama</c> or <c>qwen2</c>.</summary>
    public required string ModelType { get; init; }

    public required TextConfig Text { get; init; }

    public VisionConfig? Vision { get; init; }

    /// <summary>Token id of <c>&lt;image&gt;</c> in prompts (LLaVA only; -1 for plain decoders).</summary>
    public int ImageTokenIndex { get; init; } = -1;

    /// <summary>Index into the vision tower's hidden states (0 = embeddings; negative counts from the end).</summary>
    public int VisionFeatureLayer { get; init; } = -2;

    public FeatureSelectStrategy FeatureSelectStrategy { get; init; } = FeatureSelectStrategy.Default;

    /// <summary>Activation between the projector's two linear layers (<c>gelu</c> in LLaVA-1.5).</summary>
    public string ProjectorHiddenAct { get; init; } = "gelu";

    /// <summary>Vision layers actually run: hidden state <see cref="VisionFeatureLayer"/> needs no deeper layer.</summary>
    public int VisionLayersUsed => Vision is null ? 0
        : VisionFeatureLayer < 0 ? Vision.NumLayers + 1 + VisionFeatureLayer : VisionFeatureLayer;

    /// <summary>
    /// Image tokens per image in the decoder's prompt: the tower's sequence ([CLS] + patches for CLIP, patches alone for
    /// SigLIP) less its first row under <c>default</c>. LLaVA slices <c>[:, 1:]</c> whatever the tower
    /// (modeling_llava.py, <c>get_image_features</c>: <c>if vision_feature_select_strategy == "default":
    /// selected_image_feature = selected_image_feature[:, 1:]</c>), so on SigLIP <c>default</c> drops the first patch.
    /// </summary>
    public int ImageTokensPerImage => Vision is null ? 0
        : Vision.NumPatches + (Vision.HasClassToken ? 1 : 0) - (FeatureSelectStrategy == FeatureSelectStrategy.Default ? 1 : 0);
}
