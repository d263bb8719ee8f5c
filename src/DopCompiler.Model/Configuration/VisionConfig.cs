namespace DopCompiler.Model.Configuration;

/// <summary>The CLIP vision tower's shape (Hugging Face <c>vision_config</c>).</summary>
public sealed record VisionConfig
{
    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int ImageSize { get; init; }

    public required int PatchSize { get; init; }

    public required int NumChannels { get; init; }

    public required double LayerNormEps { get; init; }

    /// <summary><c>quick_gelu</c> (CLIP's, x·σ(1.702x)) or <c>gelu</c>.</summary>
    public required string HiddenAct { get; init; }

    public int PatchesPerSide => ImageSize / PatchSize;

    public int NumPatches => PatchesPerSide * PatchesPerSide;
}
