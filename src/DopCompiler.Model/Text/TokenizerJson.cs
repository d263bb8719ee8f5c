using System.Text.Json;

namespace DopCompiler.Model.Text;

/// <summary>
/// Reads the parts of a Hugging Face <c>tokenizer.json</c> that DopCompiler's tokenizers need: a BPE model (vocab,
/// merges in either the <c>"a b"</c> or the <c>["a", "b"]</c> form), its added tokens, and from the normalizer,
/// pre-tokenizer and post-processor whether it is byte-level (GPT-2/Qwen2) or SentencePiece-style (LLaMA).
/// </summary>
internal static class TokenizerJson
{
    public const string FileName = "tokenizer.json";

    public static TokenizerJsonContent Read(string path)
    {
        using var document = JsonDocument.Parse(Utf8Json.Read(path, DiagnosticCodes.Tokenizer), new JsonDocumentOptions { AllowTrailingCommas = true });
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, "no 'model' object");
        }

        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        // Older files omit model.type for BPE; a 'merges' array identifies it.
        if (type is not (null or "BPE") || !model.TryGetProperty("merges", out var mergesElement))
        {
            throw Error(path, $"model type '{type ?? "(none)"}' is not supported (BPE only: byte-level like GPT-2/Qwen2, or SentencePiece-style like LLaMA)");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (model.TryGetProperty("vocab", out var vocabElement) && vocabElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var item in vocabElement.EnumerateObject())
            {
                vocab[item.Name] = item.Value.GetInt32();
            }
        }

        var merges = new List<string>();
        foreach (var merge in mergesElement.EnumerateArray())
        {
            merges.Add(merge.ValueKind == JsonValueKind.Array
                ? string.Join(' ', merge.EnumerateArray().Select(p => p.GetString()))
                : merge.GetString() ?? throw Error(path, "a merge is neither a string nor a pair"));
        }

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var addedElement) && addedElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in addedElement.EnumerateArray())
            {
                added[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
            }
        }

        var components = new List<JsonElement>();
        foreach (var section in new[] { "normalizer", "pre_tokenizer", "decoder" })
        {
            if (root.TryGetProperty(section, out var element))
            {
                Flatten(element, components);
            }
        }

        string? TypeOf(JsonElement e) => e.TryGetProperty("type", out var ty) ? ty.GetString() : null;
        var byteLevel = components.Any(c => TypeOf(c) == "ByteLevel");
        var split = components.FirstOrDefault(c => TypeOf(c) == "Split");
        string? regex = null;
        if (split.ValueKind == JsonValueKind.Object && split.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var r))
        {
            regex = r.GetString();
        }

        var prepend = components.Any(c => TypeOf(c) == "Prepend" && c.TryGetProperty("prepend", out var p) && p.GetString() == "\u2581")
            || components.Any(c => TypeOf(c) == "Metaspace" && !(c.TryGetProperty("prepend_scheme", out var s) && s.GetString() == "never")
                && !(c.TryGetProperty("add_prefix_space", out var a) && a.ValueKind == JsonValueKind.False));
        var byteFallback = model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True;
        if (!byteLevel && !prepend && !byteFallback)
        {
            throw Error(path, "the BPE model is neither byte-level (a ByteLevel pre-tokenizer) nor SentencePiece-style ('▁' words or byte_fallback)");
        }

        string? bos = null;
        if (root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object
            && post.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array && single.GetArrayLength() > 0
            && single[0].TryGetProperty("SpecialToken", out var first))
        {
            bos = first.GetProperty("id").GetString();
        }

        return new TokenizerJsonContent
        {
            ByteLevel = byteLevel,
            Vocab = vocab,
            Merges = merges,
            AddedTokens = added,
            SplitRegex = regex,
            Nfc = components.Any(c => TypeOf(c) == "NFC"),
            ByteFallback = byteFallback,
            AddDummyPrefix = prepend,
            UnknownToken = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null,
            TemplateBos = bos,
        };
    }

    /// <summary>A component and, for a Sequence, its members (normalizers, pre_tokenizers, decoders).</summary>
    private static void Flatten(JsonElement element, List<JsonElement> into)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        into.Add(element);
        foreach (var key in new[] { "normalizers", "pretokenizers", "decoders" })
        {
            if (element.TryGetProperty(key, out var members) && members.ValueKind == JsonValueKind.Array)
            {
                foreach (var member in members.EnumerateArray())
                {
                    Flatten(member, into);
                }
            }
        }
    }

    private static DopException Error(string path, string message) => new(DiagnosticCodes.Tokenizer, $"{path}: {message}", path);
}
