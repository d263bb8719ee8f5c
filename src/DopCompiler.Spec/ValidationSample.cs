namespace DopCompiler.Spec;

/// <summary>One validation prompt: an image, the user's question and the expected answer.</summary>
public sealed record ValidationSample
{
    /// <summary>Absolute path of the image.</summary>
    public required string ImagePath { get; init; }

    public required string Prompt { get; init; }

    public required string Answer { get; init; }

    /// <summary>An optional question type for per-type reports; null when not given.</summary>
    public string? Type { get; init; }

    /// <summary>1-based line of the sample in its JSONL file.</summary>
    public int Line { get; init; }
}
