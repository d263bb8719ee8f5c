using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace DopCompiler.Model.Text;

/// <summary>
/// The tokenizer of a Hugging Face model folder, loaded through Microsoft.ML.Tokenizers: byte-level BPE (<c>vocab.json</c> +
/// <c>merges.txt</c>: GPT-2's split, or Qwen2's split and NFC when <c>tokenizer_class</c> is Qwen2's), SentencePiece
/// (<c>tokenizer.model</c>, LLaMA's), or, when a checkpoint ships neither, its <c>tokenizer.json</c> (a byte-level or a
/// SentencePiece-style BPE model). Special and added tokens come from <c>special_tokens_map.json</c>,
/// <c>tokenizer_config.json</c> (<c>added_tokens_decoder</c>), <c>added_tokens.json</c> and <c>tokenizer.json</c>, so the
/// checkpoint's image token (the one whose id is config.json's <c>image_token_index</c>) is matched whole in prompts.
/// </summary>
public sealed partial class ModelTokenizer
{
    /// <summary>How prompts mark the image, whatever the checkpoint's own image token string is.</summary>
    public const string ImagePlaceholder = "<image>";

    private readonly Tokenizer _inner;

    private ModelTokenizer(Tokenizer inner, int? bosId, int? eosId, bool addBos, string? imageToken)
    {
        _inner = inner;
        BosId = bosId;
        EosId = eosId;
        AddBos = addBos;
        ImageToken = imageToken;
    }

    public int? BosId { get; }

    public int? EosId { get; }

    /// <summary>Whether prompts start with BOS (tokenizer_config.json's <c>add_bos_token</c>; default true when a BOS exists).</summary>
    public bool AddBos { get; }

    /// <summary>The checkpoint's image token string (id <c>image_token_index</c>), null when config.json names none.</summary>
    public string? ImageToken { get; }

    /// <summary>The files <see cref="Load"/> may read from a model folder.</summary>
    private static readonly string[] TokenizerFiles =
    [
        "vocab.json", "merges.txt", "tokenizer.model", TokenizerJson.FileName, "config.json", "added_tokens.json",
        "special_tokens_map.json", "tokenizer_config.json",
    ];

    public static ModelTokenizer Load(string folder)
    {
        // Every file a tokenizer may read is checked up front: a pipe in place of one would block its open forever.
        foreach (var file in TokenizerFiles)
        {
            RegularFiles.Check(Path.Combine(folder, file));
        }

        var specials = ReadSpecialTokens(folder, out var bos, out var eos, out var addBos, out var tokenizerClass, out var added);
        var vocab = Path.Combine(folder, "vocab.json");
        var merges = Path.Combine(folder, "merges.txt");
        var sentencePiece = Path.Combine(folder, "tokenizer.model");
        var tokenizerJson = Path.Combine(folder, TokenizerJson.FileName);
        var imageTokenId = ReadImageTokenId(folder);
        try
        {
            if (File.Exists(vocab) && File.Exists(merges))
            {
                var vocabIds = ReadVocab(vocab);
                var ids = SpecialIds(specials, vocabIds, added);
                // Qwen2Tokenizer (tokenization_qwen2.py): its own split regex and NFC before it.
                var qwen = tokenizerClass?.StartsWith("Qwen2", StringComparison.Ordinal) == true;
                var options = new BpeOptions(vocab, merges)
                {
                    ByteLevel = true,
                    SpecialTokens = ids,
                    UnknownToken = ids.Keys.FirstOrDefault(k => k == "<unk>"),
                    PreTokenizer = new RegexPreTokenizer(qwen ? Qwen2Split() : Gpt2Split(), ids),
                    Normalizer = qwen ? new NfcNormalizer() : null,
                };
                var bpe = BpeTokenizer.Create(options);
                return new ModelTokenizer(bpe, Id(ids, vocabIds, bos), Id(ids, vocabIds, eos), addBos && bos is not null, ImageTokenOf(folder, imageTokenId, ids, vocabIds));
            }

            if (File.Exists(sentencePiece))
            {
                using var stream = File.OpenRead(sentencePiece);
                var llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false,
                    specialTokens: specials.Count == 0 && added.Count == 0 ? null : specials.Where(s => !added.ContainsKey(s)).ToDictionary(s => s, s => -1).Concat(added).ToDictionary());
                var image = imageTokenId is { } id ? added.FirstOrDefault(a => a.Value == id).Key ?? llama.Vocabulary.FirstOrDefault(v => v.Value == id).Key : null;
                return new ModelTokenizer(llama, llama.BeginningOfSentenceId, llama.EndOfSentenceId, addBos, Checked(folder, imageTokenId, image));
            }

            if (File.Exists(tokenizerJson))
            {
                return FromTokenizerJson(folder, tokenizerJson, specials, bos, eos, addBos, added, imageTokenId);
            }
        }
        catch (Exception e) when (e is not DopException)
        {
            throw new DopException(DiagnosticCodes.Tokenizer, $"the tokenizer in {folder} could not be loaded: {e.Message}", folder);
        }

        throw new DopException(DiagnosticCodes.Tokenizer,
            $"no tokenizer in {folder}: expected vocab.json + merges.txt (byte-level BPE), tokenizer.model (SentencePiece) or tokenizer.json (BPE)", folder);
    }

    /// <summary>
    /// Prompt ids, with BOS first when the tokenizer adds one; special tokens in the text map to their ids, and
    /// <see cref="ImagePlaceholder"/> to the checkpoint's image token when that is spelt otherwise.
    /// </summary>
    public int[] EncodePrompt(string prompt)
    {
        if (ImageToken is { } image && image != ImagePlaceholder)
        {
            prompt = prompt.Replace(ImagePlaceholder, image, StringComparison.Ordinal);
        }

        var ids = _inner.EncodeToIds(prompt);
        return AddBos && BosId is { } bos ? [bos, .. ids] : [.. ids];
    }

    /// <summary>Ids of text with nothing added.</summary>
    public int[] Encode(string text) => [.. _inner.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => _inner.Decode(ids) ?? string.Empty;

    private static ModelTokenizer FromTokenizerJson(string folder, string path, List<string> specials, string? bos, string? eos, bool addBos,
        Dictionary<string, int> added, int? imageTokenId)
    {
        var content = TokenizerJson.Read(path);
        foreach (var (token, id) in content.AddedTokens)
        {
            added.TryAdd(token, id);
        }

        var vocab = content.Vocab;
        var ids = SpecialIds(specials, vocab, added);
        bos ??= content.TemplateBos;
        if (content.ByteLevel)
        {
            var options = new BpeOptions(vocab)
            {
                Merges = content.Merges,
                ByteLevel = true,
                SpecialTokens = ids,
                UnknownToken = content.UnknownToken,
                PreTokenizer = new RegexPreTokenizer(content.SplitRegex is { } regex ? new Regex(regex, RegexOptions.Compiled) : Gpt2Split(), ids),
                Normalizer = content.Nfc ? new NfcNormalizer() : null,
            };
            return new ModelTokenizer(BpeTokenizer.Create(options), Id(ids, vocab, bos), Id(ids, vocab, eos), addBos && bos is not null,
                ImageTokenOf(folder, imageTokenId, ids, vocab));
        }

        // SentencePiece-style BPE: rebuilt as a SentencePiece model, pieces in id order, merge priority as piece score.
        var pieces = vocab.OrderBy(v => v.Value).ToArray();
        if (pieces.Where((p, i) => p.Value != i).Any())
        {
            throw new DopException(DiagnosticCodes.Tokenizer, $"{path}: the vocabulary's ids are not 0..{pieces.Length - 1}", path);
        }

        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        for (var rank = 0; rank < content.Merges.Count; rank++)
        {
            scores.TryAdd(content.Merges[rank].Replace(" ", string.Empty, StringComparison.Ordinal), -rank);
        }

        var unk = content.UnknownToken ?? "<unk>";
        var entries = pieces.Select(p =>
        {
            var type = p.Key == unk ? SentencePieceModelWriter.PieceType.Unknown
                : ids.ContainsKey(p.Key) ? SentencePieceModelWriter.PieceType.Control
                : content.ByteFallback && ByteToken().IsMatch(p.Key) ? SentencePieceModelWriter.PieceType.Byte
                : SentencePieceModelWriter.PieceType.Normal;
            // Pieces no merge makes rank after every merge (SentencePiece merges by score, tokenizers by merge rank).
            return (p.Key, scores.TryGetValue(p.Key, out var score) ? score : -(content.Merges.Count + p.Value), type);
        }).ToArray();
        var bosId = Id(ids, vocab, bos) ?? -1;
        var eosId = Id(ids, vocab, eos) ?? -1;
        var proto = SentencePieceModelWriter.Write(entries, content.ByteFallback, content.AddDummyPrefix, vocab.GetValueOrDefault(unk, 0), bosId, eosId);
        using var stream = new MemoryStream(proto);
        var extra = added.Where(a => !vocab.ContainsKey(a.Key)).ToDictionary();
        var llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specialTokens: extra.Count == 0 ? null : extra);
        return new ModelTokenizer(llama, bosId >= 0 ? bosId : null, eosId >= 0 ? eosId : null, addBos && bosId >= 0, ImageTokenOf(folder, imageTokenId, ids, vocab));
    }

    /// <summary>Special tokens (by string) and added tokens (by id) with their ids; specials must be in the vocabulary.</summary>
    private static Dictionary<string, int> SpecialIds(IEnumerable<string> specials, IReadOnlyDictionary<string, int> vocab, Dictionary<string, int> added)
    {
        var ids = new Dictionary<string, int>(added, StringComparer.Ordinal);
        foreach (var special in specials)
        {
            if (!ids.ContainsKey(special) && vocab.TryGetValue(special, out var id))
            {
                ids[special] = id;
            }
        }

        return ids;
    }

    private static int? Id(Dictionary<string, int> ids, IReadOnlyDictionary<string, int> vocab, string? token) =>
        token is null ? null : ids.TryGetValue(token, out var id) ? id : vocab.TryGetValue(token, out var v) ? v : null;

    /// <summary>The token whose id is <paramref name="imageTokenId"/>: an added/special token, else a vocabulary entry.</summary>
    private static string? ImageTokenOf(string folder, int? imageTokenId, Dictionary<string, int> ids, IReadOnlyDictionary<string, int> vocab)
    {
        if (imageTokenId is not { } id)
        {
            return null;
        }

        var token = ids.FirstOrDefault(t => t.Value == id).Key ?? vocab.FirstOrDefault(t => t.Value == id).Key;
        return Checked(folder, imageTokenId, token);
    }

    private static string? Checked(string folder, int? imageTokenId, string? token) =>
        imageTokenId is null || token is not null
            ? token
            : throw new DopException(DiagnosticCodes.Tokenizer,
                $"config.json's image_token_index {imageTokenId} is no token of the tokenizer in {folder} (not in its vocabulary or added tokens)", folder);

    /// <summary>config.json's <c>image_token_index</c> (or <c>image_token_id</c>) when the folder has one; the tokenizer works without.</summary>
    private static int? ReadImageTokenId(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Utf8Json.Read(path, DiagnosticCodes.Tokenizer));
            foreach (var key in new[] { "image_token_index", "image_token_id" })
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var value)
                    && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var id))
                {
                    return id;
                }
            }
        }
        catch (JsonException)
        {
            // The model loader reports a malformed config.json (DOP004); the tokenizer does not need it.
        }

        return null;
    }

    private static Dictionary<string, int> ReadVocab(string vocabPath)
    {
        using var stream = File.OpenRead(vocabPath);
        return JsonSerializer.Deserialize<Dictionary<string, int>>(stream) ?? [];
    }

    private static List<string> ReadSpecialTokens(string folder, out string? bos, out string? eos, out bool addBos, out string? tokenizerClass,
        out Dictionary<string, int> added)
    {
        var tokens = new List<string>();
        bos = eos = tokenizerClass = null;
        addBos = true;
        added = new Dictionary<string, int>(StringComparer.Ordinal);
        var addedPath = Path.Combine(folder, "added_tokens.json");
        if (File.Exists(addedPath))
        {
            using var stream = File.OpenRead(addedPath);
            foreach (var (token, id) in JsonSerializer.Deserialize<Dictionary<string, int>>(stream) ?? [])
            {
                added[token] = id;
            }
        }

        foreach (var file in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                continue;
            }

            using var document = JsonDocument.Parse(Utf8Json.Read(path, DiagnosticCodes.Tokenizer));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "add_bos_token" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        addBos = property.Value.GetBoolean();
                        break;
                    case "tokenizer_class" when property.Value.ValueKind == JsonValueKind.String:
                        tokenizerClass = property.Value.GetString();
                        break;
                    case "added_tokens_decoder" when property.Value.ValueKind == JsonValueKind.Object:
                        // {"151643": {"content": "<|endoftext|>", "special": true, ...}, ...}
                        foreach (var entry in property.Value.EnumerateObject())
                        {
                            if (int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && TokenText(entry.Value) is { } content)
                            {
                                added[content] = id;
                            }
                        }

                        break;
                    case "additional_special_tokens" when property.Value.ValueKind == JsonValueKind.Array:
                        tokens.AddRange(property.Value.EnumerateArray().Select(TokenText).OfType<string>());
                        break;
                    case "bos_token" or "eos_token" or "unk_token" or "pad_token":
                        var text = TokenText(property.Value);
                        if (text is null)
                        {
                            break;
                        }

                        tokens.Add(text);
                        if (property.Name == "bos_token")
                        {
                            bos = text;
                        }
                        else if (property.Name == "eos_token")
                        {
                            eos = text;
                        }

                        break;
                }
            }
        }

        return tokens.Distinct().ToList();
    }

    // Special tokens appear as plain strings or as {"content": "..."} objects.
    private static string? TokenText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Object when element.TryGetProperty("content", out var content) => content.GetString(),
        _ => null,
    };

    /// <summary>Qwen2's pre-tokenizer split (tokenization_qwen2.py's PRETOKENIZE_REGEX; tokenizer.json's Split pattern).</summary>
    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex Qwen2Split();

    /// <summary>SentencePiece byte pieces, <c>&lt;0x0A&gt;</c>.</summary>
    [GeneratedRegex("^<0x[0-9A-F]{2}>$")]
    private static partial Regex ByteToken();

    /// <summary>GPT-2's pre-tokenizer split.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();
}
