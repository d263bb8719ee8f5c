using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ShapesVlm.Data;

/// <summary>
/// The task's byte-level BPE tokenizer, loaded with Microsoft.ML.Tokenizers from GPT-2 style
/// <c>vocab.json</c> + <c>merges.txt</c> (written by <see cref="TokenizerTrainer"/>).
/// </summary>
/// <remarks><see cref="Encode"/> adds no BOS/EOS; <see cref="EncodePrompt"/> and <see cref="EncodeAnswer"/> do.</remarks>
public sealed partial class ShapesTokenizer
{
    /// <summary>File name of the vocabulary (token → id JSON object).</summary>
    public const string VocabFileName = "vocab.json";

    /// <summary>File name of the merge list (one "left right" pair a line, rank order).</summary>
    public const string MergesFileName = "merges.txt";

    /// <summary>File name of the Hugging Face style map of special tokens (documentation for other tools).</summary>
    public const string SpecialTokensFileName = "special_tokens_map.json";

    /// <summary>The special tokens in id order: they take ids 0…4.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens =
        [PromptTemplate.BosToken, PromptTemplate.PadToken, PromptTemplate.EosToken, PromptTemplate.UnkToken, PromptTemplate.ImageToken];

    private ShapesTokenizer(BpeTokenizer inner)
    {
        Inner = inner;
        BosId = IdOf(PromptTemplate.BosToken);
        EosId = IdOf(PromptTemplate.EosToken);
        PadId = IdOf(PromptTemplate.PadToken);
        UnkId = IdOf(PromptTemplate.UnkToken);
        ImageTokenId = IdOf(PromptTemplate.ImageToken);
        VocabSize = inner.Vocabulary.Values.Max() + 1;
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer.</summary>
    public BpeTokenizer Inner { get; }

    /// <summary>Id of <c>&lt;s&gt;</c>.</summary>
    public int BosId { get; }

    /// <summary>Id of <c>&lt;/s&gt;</c>.</summary>
    public int EosId { get; }

    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public int PadId { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public int UnkId { get; }

    /// <summary>Id of <c>&lt;image&gt;</c>.</summary>
    public int ImageTokenId { get; }

    /// <summary>Rows the embedding table needs (largest id + 1).</summary>
    public int VocabSize { get; }

    /// <summary>Loads <see cref="VocabFileName"/> and <see cref="MergesFileName"/> from <paramref name="folder"/>.</summary>
    public static ShapesTokenizer Load(string folder)
    {
        var vocabPath = Path.Combine(folder, VocabFileName);
        var mergesPath = Path.Combine(folder, MergesFileName);
        var specials = ReadSpecialIds(vocabPath);
        var options = new BpeOptions(vocabPath, mergesPath)
        {
            ByteLevel = true,
            SpecialTokens = specials,
            UnknownToken = PromptTemplate.UnkToken,
            PreTokenizer = new RegexPreTokenizer(PreTokenizerRegex(), specials),
        };
        return new ShapesTokenizer(BpeTokenizer.Create(options));
    }

    /// <summary>Token ids of <paramref name="text"/>, no BOS/EOS added; special tokens in the text map to their ids.</summary>
    public int[] Encode(string text) => [.. Inner.EncodeToIds(text)];

    /// <summary>BOS followed by the ids of the prompt text.</summary>
    public int[] EncodePrompt(string prompt) => [BosId, .. Encode(prompt)];

    /// <summary>The ids of <see cref="PromptTemplate.AnswerText"/> followed by EOS: the target the model learns.</summary>
    public int[] EncodeAnswer(string answer) => [.. Encode(PromptTemplate.AnswerText(answer)), EosId];

    /// <summary>The text of <paramref name="ids"/>; special tokens are written out unless <paramref name="skipSpecialTokens"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => Inner.Decode(ids, considerSpecialTokens: !skipSpecialTokens);

    /// <summary>The GPT-2 pre-tokenizer split: words with their leading space, numbers, punctuation runs, whitespace.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    public static partial Regex PreTokenizerRegex();

    private int IdOf(string token) =>
        Inner.Vocabulary.TryGetValue(token, out int id) ? id : throw new InvalidDataException($"Token '{token}' is missing from the vocabulary.");

    private static Dictionary<string, int> ReadSpecialIds(string vocabPath)
    {
        using var stream = File.OpenRead(vocabPath);
        var vocab = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
            ?? throw new InvalidDataException($"{vocabPath} is not a JSON object.");
        return SpecialTokens.ToDictionary(
            t => t,
            t => vocab.TryGetValue(t, out int id) ? id : throw new InvalidDataException($"{vocabPath} lacks special token '{t}'."));
    }
}
