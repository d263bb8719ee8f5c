using System.Text.Json;
using System.Text.Json.Nodes;

namespace DopCompiler.TestFixtures;

/// <summary>
/// Tiny tokenizers in the file layouts SigLIP+Qwen2 and tokenizer.json-only checkpoints ship: Qwen2's byte-level BPE as
/// vocab.json + merges.txt + tokenizer_config.json (added tokens outside vocab.json, no BOS), the same model as a lone
/// tokenizer.json, and a LLaMA-style SentencePiece BPE tokenizer.json (▁ words, byte fallback, BOS by template).
/// </summary>
public static class TinyQwenTokenizer
{
    /// <summary>Merges of the byte-level fixture: "hello", " world" and "12" become single tokens (the last only under GPT-2's split).</summary>
    public static readonly string[] ByteLevelMerges = ["h e", "l l", "he ll", "hell o", "\u0120 w", "o r", "\u0120w or", "l d", "\u0120wor ld", "1 2"];

    /// <summary>Byte-level vocabulary: printable ASCII, 'Ġ' (space), 'Ċ' (newline), then every merge's result.</summary>
    public static Dictionary<string, int> ByteLevelVocab()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in Enumerable.Range('!', '~' - '!' + 1).Select(i => ((char)i).ToString()).Append("\u0120").Append("\u010A"))
        {
            vocab[c] = vocab.Count;
        }

        foreach (var merge in ByteLevelMerges)
        {
            vocab.TryAdd(merge.Replace(" ", string.Empty, StringComparison.Ordinal), vocab.Count);
        }

        return vocab;
    }

    /// <summary>Qwen2's special tokens, numbered after the vocabulary, then <paramref name="imageToken"/> at <paramref name="imageTokenId"/>.</summary>
    public static Dictionary<string, int> AddedTokens(int vocabSize, int imageTokenId, string imageToken = "<image>") => new(StringComparer.Ordinal)
    {
        ["<|endoftext|>"] = vocabSize,
        ["<|im_start|>"] = vocabSize + 1,
        ["<|im_end|>"] = vocabSize + 2,
        [imageToken] = imageTokenId,
    };

    /// <summary>vocab.json + merges.txt + tokenizer_config.json (Qwen2Tokenizer, added_tokens_decoder) + added_tokens.json.</summary>
    public static void WriteVocabMerges(string folder, int imageTokenId, string imageToken = "<image>")
    {
        Directory.CreateDirectory(folder);
        var vocab = ByteLevelVocab();
        var added = AddedTokens(vocab.Count, imageTokenId, imageToken);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", ByteLevelMerges) + "\n");
        var decoder = new JsonObject();
        foreach (var (token, id) in added)
        {
            decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["content"] = token, ["special"] = true };
        }

        var config = new JsonObject
        {
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["additional_special_tokens"] = new JsonArray("<|im_start|>", "<|im_end|>"),
            ["added_tokens_decoder"] = decoder,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "added_tokens.json"), JsonSerializer.Serialize(added));
    }

    /// <summary>The same byte-level model as a lone tokenizer.json (Qwen2's: NFC, Split + ByteLevel); merges as strings or pairs.</summary>
    public static void WriteByteLevelTokenizerJson(string folder, int imageTokenId, bool mergesAsPairs = false)
    {
        Directory.CreateDirectory(folder);
        var vocab = ByteLevelVocab();
        var added = AddedTokens(vocab.Count, imageTokenId);
        var merges = new JsonArray(ByteLevelMerges.Select(m => mergesAsPairs
            ? (JsonNode)new JsonArray(m.Split(' ').Select(p => (JsonNode)JsonValue.Create(p)!).ToArray())
            : JsonValue.Create(m)!).ToArray());
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = AddedArray(added),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel" },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["byte_fallback"] = false,
                ["vocab"] = JsonSerializer.SerializeToNode(vocab),
                ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
    }

    /// <summary>Merges of the SentencePiece-style fixture: "▁hello" and "▁world" become single tokens.</summary>
    public static readonly string[] SentencePieceMerges = ["\u2581 h", "e l", "\u2581h el", "l o", "\u2581hel lo", "\u2581 w", "o r", "\u2581w or", "l d", "\u2581wor ld"];

    /// <summary>LLaMA's layout: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the 256 byte pieces, '▁' and a few letters, then every merge's result.</summary>
    public static Dictionary<string, int> SentencePieceVocab()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal) { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = vocab.Count;
        }

        foreach (var piece in new[] { "\u2581", "h", "e", "l", "o", "w", "r", "d", "a", "b" })
        {
            vocab[piece] = vocab.Count;
        }

        foreach (var merge in SentencePieceMerges)
        {
            vocab.TryAdd(merge.Replace(" ", string.Empty, StringComparison.Ordinal), vocab.Count);
        }

        return vocab;
    }

    /// <summary>A SentencePiece-style tokenizer.json (Prepend/Replace normalizer, byte fallback, &lt;s&gt; by template) with &lt;image&gt; after the vocabulary.</summary>
    public static void WriteSentencePieceTokenizerJson(string folder, int imageTokenId)
    {
        Directory.CreateDirectory(folder);
        var vocab = SentencePieceVocab();
        var added = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2, ["<image>"] = imageTokenId };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = AddedArray(added),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["unk_token"] = "<unk>",
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["vocab"] = JsonSerializer.SerializeToNode(vocab),
                ["merges"] = new JsonArray(SentencePieceMerges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
    }

    private static JsonArray AddedArray(Dictionary<string, int> added) => new(added.Select(a => (JsonNode)new JsonObject
    {
        ["id"] = a.Value,
        ["content"] = a.Key,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    }).ToArray());
}
