using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ShapesVlm.Data;

/// <summary>One line of a JSONL dataset file.</summary>
public sealed record DatasetRecord
{
    /// <summary>PNG path relative to the JSONL file's folder, '/' separated.</summary>
    public required string Image { get; init; }

    /// <summary>Full prompt text up to and including <c>ASSISTANT:</c>.</summary>
    public required string Prompt { get; init; }

    /// <summary>The answer word (without the leading space and EOS).</summary>
    public required string Answer { get; init; }

    /// <summary>The question family.</summary>
    public required QuestionType Type { get; init; }
}

/// <summary>Writes and reads the JSONL + PNG dataset layout: <c>{split}.jsonl</c> and <c>images/{prefix}_{index:D4}.png</c>.</summary>
public static class DatasetFiles
{
    /// <summary>Folder of the PNGs, relative to the JSONL files.</summary>
    public const string ImageFolder = "images";

    /// <summary>JSONL file name of a split ("validation.jsonl").</summary>
    public static string JsonlName(DatasetSplit split) => split.ToString().ToLowerInvariant() + ".jsonl";

    /// <summary>Image file name prefix of a split ("val").</summary>
    public static string ImagePrefix(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => "train",
        DatasetSplit.Validation => "val",
        DatasetSplit.Test => "test",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
    };

    /// <summary>Renders <paramref name="samples"/> to PNGs and writes the split's JSONL under <paramref name="folder"/>; returns the records.</summary>
    public static IReadOnlyList<DatasetRecord> Write(string folder, DatasetSplit split, IReadOnlyList<VqaSample> samples)
    {
        Directory.CreateDirectory(Path.Combine(folder, ImageFolder));
        var records = new DatasetRecord[samples.Count];
        Parallel.For(0, samples.Count, i =>
        {
            var sample = samples[i];
            var image = $"{ImageFolder}/{ImagePrefix(split)}_{sample.Index:D4}.png";
            SceneRenderer.SavePng(sample.Scene, Path.Combine(folder, image));
            records[i] = new DatasetRecord { Image = image, Prompt = sample.Prompt, Answer = sample.Question.Answer, Type = sample.Question.Type };
        });

        var sb = new StringBuilder();
        foreach (var r in records)
        {
            sb.Append(ToJson(r)).Append('\n');
        }

        File.WriteAllText(Path.Combine(folder, JsonlName(split)), sb.ToString(), new UTF8Encoding(false));
        return records;
    }

    /// <summary>One JSON line with keys image, prompt, answer, type in that order.</summary>
    public static string ToJson(DatasetRecord record)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("image", record.Image);
            json.WriteString("prompt", record.Prompt);
            json.WriteString("answer", record.Answer);
            json.WriteString("type", record.Type.ToString());
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads every line of a JSONL dataset file.</summary>
    public static IReadOnlyList<DatasetRecord> Read(string jsonlPath)
    {
        var records = new List<DatasetRecord>();
        foreach (var line in File.ReadLines(jsonlPath))
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            records.Add(new DatasetRecord
            {
                Image = root.GetProperty("image").GetString() ?? throw new InvalidDataException("image is null"),
                Prompt = root.GetProperty("prompt").GetString() ?? throw new InvalidDataException("prompt is null"),
                Answer = root.GetProperty("answer").GetString() ?? throw new InvalidDataException("answer is null"),
                Type = Enum.Parse<QuestionType>(root.GetProperty("type").GetString() ?? throw new InvalidDataException("type is null")),
            });
        }

        return records;
    }
}
