using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace DopCompiler.Model.Text;

/// <summary>
/// The tokenizer of a Hugging Face model folder, loaded through Microsoft.ML.Tokenizers: GPT-2 style byte-level BPE
/// (<c>vocab.json</c> + <c>merges.txt</c>) or SentencePiece (<c>tokenizer.model</c>, LLaMA's). Special tokens come from
/// <c>special_tokens_map.json</c> (and <c>tokenizer_config.json</c> where present), so <c>&lt;image&gt;</c> in a prompt
/// maps to the model's image token.
/// </summary>
public sealed partial class ModelTokenizer
{
    private readonly Tokenizer _inner;

    private ModelTokenizer(Tokenizer inner, int? bosId, int? eosId, bool addBos)
    {
        _inner = inner;
        BosId = bosId;
        EosId = eosId;
        AddBos = addBos;
    }

    public int? BosId { get; }

    public int? EosId { get; }

    /// <summary>Whether prompts start with BOS (tokenizer_config.json's <c>add_bos_token</c>; default true when a BOS exists).</summary>
    public bool AddBos { get; }

    public static ModelTokenizer Load(string folder)
    {
        var specials = ReadSpecialTokens(folder, out var bos, out var eos, out var addBos);
        var vocab = Path.Combine(folder, "vocab.json");
        var merges = Path.Combine(folder, "merges.txt");
        var sentencePiece = Path.Combine(folder, "tokenizer.model");
        try
        {
            if (File.Exists(vocab) && File.Exists(merges))
            {
                var ids = ReadVocabIds(vocab, specials);
                var options = new BpeOptions(vocab, merges)
                {
                    ByteLevel = true,
                    SpecialTokens = ids,
                    UnknownToken = ids.Keys.FirstOrDefault(k => k == "<unk>"),
                    PreTokenizer = new RegexPreTokenizer(Gpt2Split(), ids),
                };
                var bpe = BpeTokenizer.Create(options);
                return new ModelTokenizer(bpe, Id(ids, bos), Id(ids, eos), addBos && bos is not null);
            }

            if (File.Exists(sentencePiece))
            {
                using var stream = File.OpenRead(sentencePiece);
                var llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false,
                    specialTokens: specials.Count == 0 ? null : specials.ToDictionary(s => s, s => -1));
                return new ModelTokenizer(llama, llama.BeginningOfSentenceId, llama.EndOfSentenceId, addBos);
            }
        }
        catch (Exception e) when (e is not DopException)
        {
            throw new DopException(DiagnosticCodes.Tokenizer, $"the tokenizer in {folder} could not be loaded: {e.Message}", folder);
        }

        throw new DopException(DiagnosticCodes.Tokenizer,
            $"no tokenizer in {folder}: expected vocab.json + merges.txt (byte-level BPE) or tokenizer.model (SentencePiece)", folder);
    }

    /// <summary>Prompt ids, with BOS first when the tokenizer adds one; special tokens in the text map to their ids.</summary>
    public int[] EncodePrompt(string prompt)
    {
        var ids = _inner.EncodeToIds(prompt);
        return AddBos && BosId is { } bos ? [bos, .. ids] : [.. ids];
    }

    /// <summary>Ids of text with nothing added.</summary>
    public int[] Encode(string text) => [.. _inner.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => _inner.Decode(ids) ?? string.Empty;

    private static int? Id(Dictionary<string, int> ids, string? token) => token is not null && ids.TryGetValue(token, out var id) ? id : null;

    private static Dictionary<string, int> ReadVocabIds(string vocabPath, IReadOnlyCollection<string> specials)
    {
        using var stream = File.OpenRead(vocabPath);
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(stream) ?? [];
        return specials.Where(vocab.ContainsKey).ToDictionary(s => s, s => vocab[s]);
    }

    private static List<string> ReadSpecialTokens(string folder, out string? bos, out string? eos, out bool addBos)
    {
        var tokens = new List<string>();
        bos = eos = null;
        addBos = true;
        foreach (var file in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                continue;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "add_bos_token" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        addBos = property.Value.GetBoolean();
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

    /// <summary>GPT-2's pre-tokenizer split.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();
}
