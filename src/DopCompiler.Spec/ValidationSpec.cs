namespace DopCompiler.Spec;

/// <summary>Where the validation samples come from and how many to use.</summary>
public sealed record ValidationSpec
{
    /// <summary>Absolute path of the JSONL file.</summary>
    public required string Path { get; init; }

    /// <summary>Use only the first <c>Limit</c> samples; null for all.</summary>
    public int? Limit { get; init; }
}
