using System.Diagnostics;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Configuration;

namespace DopCompiler.Bench;

/// <summary>
/// <c>anyres-tokens</c>: LLaVA-v1.6-7B's image-token count per photo size (CLIP-336/14 tower, the default
/// image_grid_pinpoints) and the managed LlavaNextImageProcessor's time per image, no weights needed.
/// </summary>
public static class AnyresTokensBenchmark
{
    /// <summary>(height, width) of common photos and screenshots, both orientations, plus a sliver.</summary>
    internal static readonly (int Height, int Width)[] Sizes =
    [
        (336, 336), (480, 640), (640, 480), (768, 1024), (1080, 1920), (1920, 1080), (3000, 4000), (4000, 3000), (1024, 1024), (200, 1600),
    ];

    public static void Run(Options options)
    {
        var rounds = options.Int("rounds", 3);
        var folder = Path.Combine(Path.GetTempPath(), "dop-bench-anyres", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // llava-hf/llava-v1.6-vicuna-7b-hf's keys that decide the count (the rest take LlavaNextConfig's defaults).
            File.WriteAllText(Path.Combine(folder, "config.json"), """
                {"model_type": "llava_next", "vision_feature_select_strategy": "default", "vision_feature_layer": -2,
                 "image_grid_pinpoints": [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
                 "text_config": {"model_type": "llama"},
                 "vision_config": {"model_type": "clip_vision_model", "image_size": 336, "patch_size": 14}}
                """);
            var config = ModelConfigReader.Read(folder);
            var preprocessor = ImagePreprocessor.FromJson("""
                {"crop_size": {"height": 336, "width": 336}, "size": {"shortest_edge": 336}, "resample": 3,
                 "image_grid_pinpoints": [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
                 "image_processor_type": "LlavaNextImageProcessor"}
                """, "preprocessor_config.json", 336);
            Console.WriteLine("| image (height × width) | tiles (grid + base) | image tokens | preprocessing ms (managed, median of " + rounds + ") |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (height, width) in Sizes)
            {
                var (rows, columns) = config.AnyresGrid(height, width);
                var image = new RgbImage { Height = height, Width = width, Pixels = Photo(height, width) };
                var times = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var tiles = preprocessor.Preprocess(image);
                    times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (tiles.Count != (rows * columns) + 1)
                    {
                        throw new InvalidOperationException("tile count disagrees with the model's grid");
                    }
                }

                times.Sort();
                Console.WriteLine($"| {height} × {width} | {rows}×{columns} + 1 | {config.AnyresImageTokens(height, width)} | {times[times.Count / 2]:F0} |");
            }

            Console.WriteLine($"LLaVA-1.5 (one 336 tile) for comparison: {config.ImageTokensPerImage} image tokens whatever the size.");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A smooth gradient with texture: resampling cost does not depend on content, only on sizes.</summary>
    internal static byte[] Photo(int height, int width)
    {
        var pixels = new byte[height * width * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                pixels[i] = (byte)(x * 255 / width);
                pixels[i + 1] = (byte)(y * 255 / height);
                pixels[i + 2] = (byte)((x ^ y) & 0xFF);
            }
        }

        return pixels;
    }
}
