namespace DopCompiler.TestFixtures;

/// <summary>Shape of a random-weight LLaVA fixture; defaults are tiny (fast on 2 cores).</summary>
public sealed record TinyLlavaOptions
{
    public int Layers { get; init; } = 4;

    public int Hidden { get; init; } = 64;

    public int Heads { get; init; } = 4;

    public int KeyValueHeads { get; init; } = 2;

    public int Intermediate { get; init; } = 128;

    public int Vocab { get; init; } = 96;

    public int VisionLayers { get; init; } = 2;

    public int VisionHidden { get; init; } = 32;

    public int VisionHeads { get; init; } = 2;

    public int ImageSize { get; init; } = 32;

    public int PatchSize { get; init; } = 8;

    /// <summary><c>old</c>: language_model.model.* (transformers &lt; 4.52); <c>new</c>: model.language_model.*.</summary>
    public string Naming { get; init; } = "old";

    public int Seed { get; init; } = 7;

    /// <summary>Scale of the random weights relative to 1/sqrt(fan_in); above 1 makes outputs depend strongly on inputs.</summary>
    public double WeightScale { get; init; } = 1.0;

    /// <summary><c>clip</c> (LLaVA-1.5's tower) or <c>siglip</c> (llava-interleave's: patch conv bias, no [CLS], no pre-layernorm).</summary>
    public string VisionType { get; init; } = "clip";

    /// <summary><c>llama</c>, <c>mistral</c> (LLaMA's arithmetic, a sliding window) or <c>qwen2</c> (q/k/v biases).</summary>
    public string TextType { get; init; } = "llama";

    /// <summary>The vision MLP's width; 0 means 4 × <see cref="VisionHidden"/> (CLIP's ratio).</summary>
    public int VisionIntermediate { get; init; }

    public int VisionFeatureLayer { get; init; } = -2;

    /// <summary><c>default</c> or <c>full</c>.</summary>
    public string FeatureStrategy { get; init; } = "default";

    /// <summary>Tied embeddings: the checkpoint holds no LM head tensor (Qwen2-0.5B's layout).</summary>
    public bool TieWordEmbeddings { get; init; }

    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>
    /// LLaVA-NeXT's <c>image_grid_pinpoints</c> as (height, width): set, the fixture is <c>llava_next</c> (an
    /// <c>image_newline</c> tensor, a LlavaNextImageProcessor config with crop and shortest edge = <see cref="ImageSize"/>).
    /// </summary>
    public IReadOnlyList<(int Height, int Width)>? GridPinpoints { get; init; }

    /// <summary>Mistral's <c>sliding_window</c> (with <see cref="TextType"/> <c>mistral</c>); null writes <c>null</c>.</summary>
    public int? SlidingWindow { get; init; } = 4096;

    /// <summary>
    /// LLaVA-OneVision's <c>vision_aspect_ratio</c> (e.g. <c>anyres_max_9</c>): set together with <see cref="GridPinpoints"/>,
    /// the fixture is <c>llava_onevision</c> (a LlavaOnevisionImageProcessor config with size = <see cref="ImageSize"/>,
    /// no crop); use it with <see cref="VisionType"/> <c>siglip</c> and <see cref="FeatureStrategy"/> <c>full</c>.
    /// </summary>
    public string? VisionAspectRatio { get; init; }

    public bool Anyres => GridPinpoints is not null;

    public bool Onevision => Anyres && VisionAspectRatio is not null;

    public bool Mistral => TextType == "mistral";

    public int VisionMlpWidth => VisionIntermediate > 0 ? VisionIntermediate : 4 * VisionHidden;

    public bool Siglip => VisionType == "siglip";

    public bool Qwen => TextType == "qwen2";

    /// <summary>The <c>&lt;image&gt;</c> id written into config.json: the last vocabulary id unless a real checkpoint's is given.</summary>
    public int? ImageTokenId { get; init; }

    public int ImageTokenIndex => ImageTokenId ?? Vocab - 1;
}
