namespace DopCompiler.Spec;

/// <summary>The samples read from one JSONL file, in file order.</summary>
public sealed record ValidationSet
{
    /// <summary>Absolute path of the JSONL file.</summary>
    public required string Path { get; init; }

    public required EquatableArray<ValidationSample> Samples { get; init; }
}
