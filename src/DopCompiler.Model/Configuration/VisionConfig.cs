namespace DopCompiler.Model.Configuration;

/// <summary>The vision tower's shape (Hugging Face <c>vision_config</c>): CLIP or SigLIP.</summary>
public sealed record VisionConfig
{
    public const string ClipType = "clip_vision_model";
    public const string SiglipType = "siglip_vision_model";

    /// <summary><see cref="ClipType"/> or <see cref="SiglipType"/>.</summary>
    public string ModelType { get; init; } = ClipType;

    /// <summary>
    /// CLIP prepends a [CLS] embedding, has a pre-layernorm and a bias-free patch convolution; SigLIP has none of the three
    /// (its patch convolution has a bias and its sequence is the patches alone).
    /// </summary>
    public bool IsSiglip => ModelType == SiglipType;

    public bool HasClassToken => !IsSiglip;

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int ImageSize { get; init; }

    public required int PatchSize { get; init; }

    public required int NumChannels { get; init; }

    public required double LayerNormEps { get; init; }

    /// <summary><c>quick_gelu</c> (CLIP's, x·σ(1.702x)), <c>gelu</c> (erf) or <c>gelu_pytorch_tanh</c> (SigLIP's tanh approximation).</summary>
    public required string HiddenAct { get; init; }

    /// <summary>Patches per side: the convolution's stride drops a remainder (384 px / 14 → 27, SigLIP-so400m).</summary>
    public int PatchesPerSide => ImageSize / PatchSize;

    public int NumPatches => PatchesPerSide * PatchesPerSide;
}
