using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>
/// <c>dop logits</c> and <c>dop eval</c> run a LLaVA-NeXT or LLaVA-OneVision (anyres) model unpruned; <c>dop search</c>
/// searches both with a per-image image-token count.
/// </summary>
public sealed class LlavaNextCliTests : IDisposable
{
    private static readonly TinyLlavaOptions Next = TinyAnyresOptions.Next;

    /// <summary>The OneVision fixture with rope_theta 10000, as these tests' expected counts were written for.</summary>
    private static readonly TinyLlavaOptions Onevision = TinyAnyresOptions.Onevision with { RopeTheta = 10000.0 };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-cli-tests", Guid.NewGuid().ToString("N"));

    public LlavaNextCliTests() => Directory.CreateDirectory(_folder);

    /// <summary>
    /// A wide image on LLaVA-NeXT (1 × 3 tiles + base; 4 × 12 patches unpadded to 4 rows, a newline each: 16 + 4·13) and a
    /// square one on OneVision (3 × 3 tiles + base; 12 × 12 patches shrunk to 5 × 5 by anyres_max_2, ratio sqrt(144 / 32):
    /// 16 + 5·6): `dop logits` equals the in-process forward, `dop eval` runs, `dop search` writes a varying-count policy.
    /// </summary>
    [Theory]
    [InlineData("llava_next", 50, 170, 4, 68)]
    [InlineData("llava_onevision", 84, 84, 10, 46)]
    public void LogitsEqualTheInProcessForwardEvalAndSearchRun(string modelType, int height, int width, int tiles, int imageTokens)
    {
        var options = modelType == "llava_next" ? Next : Onevision;
        var spec = TinySearchProject.Write(_folder, samples: 2, options: options);
        var model = Path.Combine(_folder, "model");
        var image = Path.Combine(_folder, "image.png");
        File.WriteAllBytes(image, Png.Rgb(width, height, (x, y) => ((byte)(x * 3), (byte)(y * 5), (byte)(x + y))));
        var npy = Path.Combine(_folder, "logits.npy");
        int[] prompt = [1, 5, options.ImageTokenIndex, 9, 3];
        var (code, _, error) = Dop("logits", "--model", model, "--image", image, "--ids", string.Join(",", prompt), "--out", npy);
        Assert.True(code == 0, error);
        var fromTool = ReadNpy(npy);
        Assert.Equal(options.Vocab, fromTool.Length);

        // The same forward in process, through the public pieces (preprocessor tiles, anyres features, reference prefill).
        using (var loaded = LlavaModel.Load(model))
        {
            Assert.Equal(modelType, loaded.Config.ModelType);
            var preprocessor = Inputs.Images.ImagePreprocessor.FromFile(Path.Combine(model, "preprocessor_config.json"), 28);
            var preprocessed = preprocessor.Preprocess(image);
            Assert.Equal(tiles, preprocessed.Count);
            using var pixels = TorchSharp.torch.tensor(preprocessed.Pixels).reshape(preprocessed.Count, 3, 28, 28);
            var (features, _) = loaded.EncodeImage(pixels, preprocessed.ImageHeight, preprocessed.ImageWidth);
            Assert.Equal(imageTokens, (int)features.shape[0]);
            Assert.Equal(imageTokens, loaded.Config.AnyresImageTokens(height, width));
            using var embeddings = loaded.EmbedPrompt(prompt, features, out var segments);
            using var logits = loaded.ReferencePrefill(embeddings, [segments.Length - 1]);
            Assert.Equal(logits.data<float>().ToArray(), fromTool);
        }

        (code, _, error) = Dop("eval", "--model", model, "--data", Path.Combine(_folder, "data", "val.jsonl"), "--json");
        Assert.True(code == 0, error);

        SearchWritesAVaryingCountPolicyAndRefusesFixedCounts(spec);
    }

    [Fact]
    public void PinpointsThatDifferBetweenTheTwoConfigsAreACodedError()
    {
        TinySearchProject.Write(_folder, samples: 1, options: Next);
        var model = Path.Combine(_folder, "model");
        var preprocessor = Path.Combine(model, "preprocessor_config.json");
        // Same tile counts, other shapes: 56 × 28 and 28 × 56 swapped would cut a wide image into a column.
        File.WriteAllText(preprocessor, File.ReadAllText(preprocessor).Replace("[[28, 56], [56, 28]", "[[56, 28], [28, 56]", StringComparison.Ordinal));
        var image = Path.Combine(_folder, "data", "images", "000.png");
        var (code, _, error) = Dop("logits", "--model", model, "--image", image, "--ids", $"1,{Next.ImageTokenIndex},3", "--out", Path.Combine(_folder, "x.npy"));
        Assert.Equal(1, code);
        Assert.Contains("error DOP004", error);
        Assert.Contains("image_grid_pinpoints differ", error);
    }

    /// <summary>
    /// <c>dop search</c> on an anyres model writes a policy whose image-token count varies per image; an n_v grid (a fixed
    /// count) and a [CLS]-ranked split (no [CLS] over tiles) are coded errors that point to a spread split.
    /// </summary>
    private void SearchWritesAVaryingCountPolicyAndRefusesFixedCounts(string spec)
    {
        var policy = Path.Combine(_folder, "dop.policy.json");
        var (code, _, error) = Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"), "--out", policy);
        Assert.True(code == 0, error);
        var document = DopCompiler.Policy.PolicySchema.TryParse(File.ReadAllBytes(policy), out var parseError) ?? throw new InvalidOperationException(parseError);
        Assert.True(document.Model.ImageTokensVary);
        Assert.Equal(0, document.Model.ImageTokens);

        var yaml = File.ReadAllText(spec);
        foreach (var (extra, expected) in new[] { ("grid:\n  n_v: [4, 8]\n", "DOP045"), ("groups:\n  - source: image\n    cls_split: {key_fraction: 0.25}\n", "DOP046") })
        {
            File.WriteAllText(spec, yaml + "\n" + extra);
            (code, _, error) = Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"), "--out", policy);
            Assert.Equal(1, code);
            Assert.Contains("error " + expected, error);
            Assert.Contains("ranking: spread", error);
            Assert.DoesNotContain("   at ", error);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    /// <summary>A float32 vector from a .npy file (the header is a padded text line ending in a newline).</summary>
    private static float[] ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        var data = bytes.AsSpan(10 + headerLength);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray();
    }

    private static (int Code, string Output, string Error) Dop(params string[] args) => CliTests.Dop(args);
}
