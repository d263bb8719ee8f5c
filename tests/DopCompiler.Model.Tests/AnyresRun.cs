using DopCompiler.Inputs.Images;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>One fixture on disk, loaded, with its preprocessor; <see cref="StoredTensors"/> as the loader sees them.</summary>
internal sealed class AnyresRun : IDisposable
{
    private readonly TempFolder _folder = new();

    public AnyresRun(TinyLlavaOptions options, SafetensorsDType storage, int shards = 1)
    {
        TinyLlavaCheckpoint.Write(_folder.Path, options, storage, shards);
        var stored = storage switch { SafetensorsDType.BF16 => ScalarType.BFloat16, SafetensorsDType.F16 => ScalarType.Float16, _ => ScalarType.Float32 };
        StoredTensors = TinyLlavaCheckpoint.Tensors(options).ToDictionary(t => t.Key, t =>
        {
            using var original = t.Value;
            using var rounded = original.to_type(stored);
            return rounded.to_type(ScalarType.Float32);
        });
        Model = LlavaModel.Load(_folder.Path);
        Preprocessor = ImagePreprocessor.FromFile(_folder.File("preprocessor_config.json"), Model.Config.Vision!.ImageSize);
        Assert.True(Preprocessor.IsAnyres);
    }

    public Dictionary<string, Tensor> StoredTensors { get; }

    public LlavaModel Model { get; }

    public ImagePreprocessor Preprocessor { get; }

    /// <summary>A smooth colour pattern, so resizes and crops move values.</summary>
    public static byte[] Pixel(int x, int y) => [(byte)((x * 7) + (y * 3)), (byte)((x * x) + (5 * y)), (byte)(255 - (x * 2) - (y * 4))];

    public string WritePng(int height, int width)
    {
        var path = _folder.File($"image-{height}x{width}.png");
        File.WriteAllBytes(path, Png.Rgb(width, height, (x, y) => { var p = Pixel(x, y); return (p[0], p[1], p[2]); }));
        return path;
    }

    public PreprocessedImage Preprocess(int height, int width) => Preprocessor.Preprocess(WritePng(height, width));

    public (int Rows, int Width) Features(PreprocessedImage image)
    {
        using var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
        var (features, cls) = Model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
        using (features)
        using (cls)
        {
            return ((int)features.shape[0], (int)features.shape[1]);
        }
    }

    public (float[] Logits, int[] Greedy) LogitsAndGreedy(PreprocessedImage image, int[] prompt, int tokens)
    {
        using var scope = NewDisposeScope();
        var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
        var (features, _) = Model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
        var embeddings = Model.EmbedPrompt(prompt, features, out var segments);
        var logits = Model.ReferencePrefill(embeddings, [segments.Length - 1]);
        return (logits.data<float>().ToArray(), GreedyDecoder.Generate(Model, embeddings, null, tokens).ToArray());
    }

    /// <summary>The largest |Δ| between the main path's fp32 logits and a float64 reference's.</summary>
    public static double MaxDifference(float[] actual, double[] expected) => actual.Select((a, i) => Math.Abs(a - expected[i])).Max();

    public void Dispose()
    {
        Model.Dispose();
        foreach (var t in StoredTensors.Values)
        {
            t.Dispose();
        }

        _folder.Dispose();
    }
}
