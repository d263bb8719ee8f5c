namespace DopCompiler.Model.Configuration;

/// <summary>
/// A checkpoint's architecture: a LLaVA-1.5 model (CLIP tower, two-layer projector, LLaMA decoder) or a plain LLaMA
/// decoder (<see cref="Vision"/> null). Read by <see cref="ModelConfigReader"/>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>llava</c> or <c>llama</c>.</summary>
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

    /// <summary>Image tokens per image in the decoder's prompt.</summary>
    public int ImageTokensPerImage => Vision is null ? 0
        : Vision.NumPatches + (FeatureSelectStrategy == FeatureSelectStrategy.Full ? 1 : 0);
}
