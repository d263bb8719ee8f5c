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

    public int ImageTokenIndex => Vocab - 1;
}
