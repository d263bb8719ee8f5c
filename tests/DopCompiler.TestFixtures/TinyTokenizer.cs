using System.Text.Json;

namespace DopCompiler.TestFixtures;

/// <summary>
/// Writes a character-level byte-level-BPE tokenizer (GPT-2 file format, no merges) for fixtures: special tokens,
/// then printable ASCII, with <c>&lt;image&gt;</c> at the model's image token id.
/// </summary>
public static class TinyTokenizer
{
    public static void Write(string folder, int imageTokenId)
    {
        var vocab = new Dictionary<string, int> { ["<s>"] = 0, ["<pad>"] = 1, ["</s>"] = 2, ["<unk>"] = 3 };
        var next = 4;
        // GPT-2's byte-to-unicode map keeps '!'..'~' and maps space and newline to 'Ġ' and 'Ċ'.
        foreach (var c in Enumerable.Range('!', '~' - '!' + 1).Select(i => ((char)i).ToString()).Append("\u0120").Append("\u010A"))
        {
            vocab[c] = next++;
        }

        if (imageTokenId < next)
        {
            throw new ArgumentOutOfRangeException(nameof(imageTokenId), $"the fixture vocabulary needs {next} ids before <image>");
        }

        vocab["<image>"] = imageTokenId;
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n");
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"),
            """{"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "additional_special_tokens": ["<image>"]}""");
    }
}
