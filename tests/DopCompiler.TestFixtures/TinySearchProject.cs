using System.Globalization;
using System.Text.Json;

namespace DopCompiler.TestFixtures;

/// <summary>
/// A folder a search can run on: <c>model/</c> (random-weight LLaVA checkpoint with tokenizer; Qwen2's for a Qwen2 decoder), <c>data/val.jsonl</c>
/// with small PNGs, and a <c>dop.yaml</c>. Everything made by code.
/// </summary>
public static class TinySearchProject
{
    public static TinyLlavaOptions DefaultOptions { get; } = new() { Vocab = 128, WeightScale = 2.0 };

    /// <param name="imageSizes">Per sample (cycled) the validation image's (height, width); null: square images of the tower's size.</param>
    public static string Write(string folder, int samples = 6, double budget = 0.5, TinyLlavaOptions? options = null, string? extraYaml = null,
        string divergence = "max_positions: 3", IReadOnlyList<(int Height, int Width)>? imageSizes = null)
    {
        options ??= DefaultOptions;
        var model = Path.Combine(folder, "model");
        TinyLlavaCheckpoint.Write(model, options);
        if (options.Qwen)
        {
            TinyQwenTokenizer.WriteVocabMerges(model, options.ImageTokenIndex);
        }
        else
        {
            TinyTokenizer.Write(model, options.ImageTokenIndex);
        }

        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        var lines = new List<string>();
        var random = new Random(5);
        for (var i = 0; i < samples; i++)
        {
            var image = $"images/{i:000}.png";
            var seed = random.Next();
            var (height, width) = imageSizes is { Count: > 0 } sizes ? sizes[i % sizes.Count] : (options.ImageSize, options.ImageSize);
            File.WriteAllBytes(Path.Combine(data, image), Png.Rgb(width, height,
                (x, y) => ((byte)((x * 7) + seed), (byte)((y * 5) + (seed >> 8)), (byte)((x * y) + (seed >> 16)))));
            var question = i % 2 == 0 ? "what is it?" : "how many?";
            lines.Add(JsonSerializer.Serialize(new { image, prompt = $"SYS: hi\nUSER: <image>\n{question}\nASSISTANT:", answer = "x", type = i % 2 == 0 ? "What" : "Count" }));
        }

        File.WriteAllLines(Path.Combine(data, "val.jsonl"), lines);
        var yaml = string.Create(CultureInfo.InvariantCulture, $"""
            model: model
            validation: data/val.jsonl
            budget:
              fraction: {budget}
            divergence:
              {divergence}
            output:
              class_name: TinyDop
              namespace: Tiny.Generated
            """);
        var specPath = Path.Combine(folder, "dop.yaml");
        File.WriteAllText(specPath, yaml + "\n" + (extraYaml ?? string.Empty));
        return specPath;
    }
}
