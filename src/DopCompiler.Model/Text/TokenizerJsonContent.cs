namespace DopCompiler.Model.Text;

/// <summary>What <see cref="TokenizerJson"/> read from a Hugging Face <c>tokenizer.json</c> with a BPE model.</summary>
internal sealed record TokenizerJsonContent
{
    /// <summary>True for a byte-level BPE (GPT-2, Qwen2); false for a SentencePiece-style BPE (LLaMA's: '▁' words, byte fallback).</summary>
    public required bool ByteLevel { get; init; }

    public required IReadOnlyDictionary<string, int> Vocab { get; init; }

    /// <summary>Merges as <c>"left right"</c> lines, highest priority first.</summary>
    public required IReadOnlyList<string> Merges { get; init; }

    /// <summary><c>added_tokens</c>: content → id (special or not; both are matched whole in text).</summary>
    public required IReadOnlyDictionary<string, int> AddedTokens { get; init; }

    /// <summary>The pre-tokenizer's Split regex (Qwen2's, for example); null for the plain GPT-2 split.</summary>
    public string? SplitRegex { get; init; }

    /// <summary>The normalizer is NFC (Qwen2).</summary>
    public bool Nfc { get; init; }

    public bool ByteFallback { get; init; }

    /// <summary>SentencePiece style: a '▁' is prepended to the text (Prepend normalizer or Metaspace prepend_scheme).</summary>
    public bool AddDummyPrefix { get; init; }

    public string? UnknownToken { get; init; }

    /// <summary>The special token the post-processor puts first in a single sequence (BOS), if any.</summary>
    public string? TemplateBos { get; init; }
}
