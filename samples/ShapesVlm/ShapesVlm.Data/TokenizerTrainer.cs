using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ShapesVlm.Data;

/// <summary>
/// Trains the task's byte-level BPE on every text the task can produce, merging until each word is one token,
/// and writes it in the GPT-2 file format.
/// </summary>
public static class TokenizerTrainer
{
    /// <summary>All texts the tokenizer must cover: every prompt followed by every answer, in a fixed order.</summary>
    public static IEnumerable<string> Corpus()
    {
        var answers = TaskWords.AllAnswers().ToArray();
        foreach (var question in TaskWords.AllQuestions())
        {
            var prompt = PromptTemplate.Build(question);
            foreach (var answer in answers)
            {
                yield return prompt + PromptTemplate.AnswerText(answer);
            }
        }
    }

    /// <summary>The vocabulary (token → id) and merges (rank order) learned from <see cref="Corpus"/>.</summary>
    public static (IReadOnlyList<string> Vocab, IReadOnlyList<(string Left, string Right)> Merges) Train()
    {
        var byteToChar = ByteLevel.ByteToChar;

        // Word frequencies of the pre-tokenized, byte-mapped corpus; special tokens are cut out first.
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in Corpus())
        {
            foreach (var piece in text.Split(ShapesTokenizer.SpecialTokens.ToArray(), StringSplitOptions.None))
            {
                foreach (System.Text.RegularExpressions.Match m in ShapesTokenizer.PreTokenizerRegex().Matches(piece))
                {
                    var word = new string(Encoding.UTF8.GetBytes(m.Value).Select(b => byteToChar[b]).ToArray());
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
            }
        }

        // Base alphabet: printable ASCII, space and newline, so any plain English line encodes without <unk>.
        var alphabet = Enumerable.Range(32, 95).Append(10).Select(b => byteToChar[b].ToString()).Order(StringComparer.Ordinal).ToList();
        var words = counts.Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        foreach (var w in words)
        {
            var missing = w.Symbols.FirstOrDefault(s => !alphabet.Contains(s));
            if (missing is not null)
            {
                throw new InvalidOperationException($"Corpus character '{missing}' is outside the base alphabet.");
            }
        }

        var merges = new List<(string Left, string Right)>();
        while (true)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairs[pair] = pairs.GetValueOrDefault(pair) + count;
                }
            }

            if (pairs.Count == 0)
            {
                break;
            }

            // Most frequent pair; ties go to the ordinally smallest so training is deterministic.
            var best = pairs
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal)
                .ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
                .First().Key;
            merges.Add(best);
            string merged = best.Item1 + best.Item2;
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        var vocab = new List<string>(ShapesTokenizer.SpecialTokens);
        vocab.AddRange(alphabet);
        var seen = new HashSet<string>(vocab, StringComparer.Ordinal);
        foreach (var (left, right) in merges)
        {
            if (seen.Add(left + right))
            {
                vocab.Add(left + right);
            }
        }

        return (vocab, merges);
    }

    /// <summary>Trains and writes vocab.json, merges.txt and special_tokens_map.json into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var (vocab, merges) = Train();
        var jsonOptions = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        using (var stream = File.Create(Path.Combine(folder, ShapesTokenizer.VocabFileName)))
        using (var json = new Utf8JsonWriter(stream, jsonOptions))
        {
            json.WriteStartObject();
            for (int id = 0; id < vocab.Count; id++)
            {
                json.WriteNumber(vocab[id], id);
            }

            json.WriteEndObject();
        }

        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in merges)
        {
            sb.Append(left).Append(' ').Append(right).Append('\n');
        }

        File.WriteAllText(Path.Combine(folder, ShapesTokenizer.MergesFileName), sb.ToString(), new UTF8Encoding(false));

        using (var stream = File.Create(Path.Combine(folder, ShapesTokenizer.SpecialTokensFileName)))
        using (var json = new Utf8JsonWriter(stream, jsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("bos_token", PromptTemplate.BosToken);
            json.WriteString("eos_token", PromptTemplate.EosToken);
            json.WriteString("pad_token", PromptTemplate.PadToken);
            json.WriteString("unk_token", PromptTemplate.UnkToken);
            json.WriteStartArray("additional_special_tokens");
            json.WriteStringValue(PromptTemplate.ImageToken);
            json.WriteEndArray();
            json.WriteEndObject();
        }
    }
}

/// <summary>GPT-2's reversible byte → printable character map used by byte-level BPE files.</summary>
public static class ByteLevel
{
    /// <summary>The character standing for each byte (space → 'Ġ', newline → 'Ċ').</summary>
    public static readonly IReadOnlyList<char> ByteToChar = Build();

    private static char[] Build()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + next++);
        }

        return map;
    }
}
