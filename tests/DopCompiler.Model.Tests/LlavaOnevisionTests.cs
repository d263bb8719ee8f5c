using System.Numerics;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Tests.Reference;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>
/// LLaVA-OneVision (<c>llava_onevision</c>: SigLIP tower, Qwen2 decoder, anyres tiles shrunk by <c>anyres_max_N</c>) on
/// tiny fixtures in the on-disk layout (tile 28, patch 7): token counts against the HF processor's formula for many sizes,
/// the config's OneVision defaults and refusals, the model's packed feature count; last-position logits and greedy tokens
/// against <see cref="Float64LlavaOnevision"/> within 1e-4, the newline's effect, pre-expanded prompts.
/// </summary>
public sealed class LlavaOnevisionTests
{
    private const double Tolerance = 1e-4;

    /// <summary>OneVision's pinpoint pattern (tile·(1..n) × tile·(1..n), height-major) at tile 28.</summary>
    private static (int, int)[] Pinpoints(int n) =>
        Enumerable.Range(1, n).SelectMany(h => Enumerable.Range(1, n).Select(w => (28 * h, 28 * w))).ToArray();

    /// <summary>anyres_max_2 over a 3 × 3 pinpoint range, so that most grids larger than one tile get shrunk.</summary>
    internal static readonly TinyLlavaOptions Onevision = new()
    {
        ImageSize = 28, PatchSize = 7, VisionLayers = 2, WeightScale = 1.5,
        VisionType = "siglip", TextType = "qwen2", FeatureStrategy = "full", VisionFeatureLayer = -1,
        GridPinpoints = Pinpoints(3), VisionAspectRatio = "anyres_max_2",
    };

    /// <summary>
    /// LlavaOnevisionProcessor._get_number_of_features / _get_unpadded_features (processing_llava_onevision.py), written
    /// out here independently: height and width are the processed tile's size, num_image_tokens g² (SigLIP, no [CLS],
    /// strategy full so nothing is subtracted), <c>int(round(x, 7))</c> in the unpadding, max_num_patches from
    /// vision_aspect_ratio, and Python's <c>//</c> on floats computed exactly (<see cref="ExactFloorDivide"/>).
    /// </summary>
    private static int HfNumberOfFeatures(int origHeight, int origWidth, int tile, int patchSize, IReadOnlyList<(int, int)> pinpoints, int maxNumPatches)
    {
        var (bestHeight, bestWidth) = Float64LlavaNext.SelectBestResolution(origHeight, origWidth, pinpoints);
        int scaleHeight = bestHeight / tile, scaleWidth = bestWidth / tile;
        var patches = tile / patchSize;
        var currentHeight = patches * scaleHeight;
        var currentWidth = patches * scaleWidth;
        if ((double)origWidth / origHeight > (double)currentWidth / currentHeight)
        {
            var newHeight = (int)Math.Round(origHeight * ((double)currentWidth / origWidth), 7);
            currentHeight -= (currentHeight - newHeight) / 2 * 2;
        }
        else
        {
            var newWidth = (int)Math.Round(origWidth * ((double)currentHeight / origHeight), 7);
            currentWidth -= (currentWidth - newWidth) / 2 * 2;
        }

        var unpadded = currentHeight * currentWidth;
        var newlines = currentHeight;
        var ratio = Math.Sqrt(currentHeight * currentWidth / (double)(maxNumPatches * patches * patches));
        if (ratio > 1.1)
        {
            unpadded = ExactFloorDivide(currentHeight, ratio) * ExactFloorDivide(currentWidth, ratio);
            newlines = ExactFloorDivide(currentHeight, ratio);
        }

        return unpadded + newlines + (patches * patches);
    }

    /// <summary>floor(a / b) on the exact value of the double b (b = m·2^e), in integers: what Python's float // yields.</summary>
    private static int ExactFloorDivide(int a, double b)
    {
        var bits = BitConverter.DoubleToInt64Bits(b);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = (bits & 0xFFFFFFFFFFFFFL) | (1L << 52);
        var shift = exponent - 1075; // b = mantissa · 2^shift
        BigInteger numerator = a, denominator = mantissa;
        if (shift >= 0)
        {
            denominator <<= shift;
        }
        else
        {
            numerator <<= -shift;
        }

        return (int)BigInteger.Divide(numerator, denominator);
    }

    [Fact]
    public void TokenCountEqualsTheHfProcessorFormulaForManySizes()
    {
        foreach (var (n, aspect, max) in new[] { (3, "anyres_max_2", 2), (6, "anyres_max_9", 9), (4, "anyres_max_1", 1) })
        {
            using var folder = new TempFolder();
            var options = Onevision with { GridPinpoints = Pinpoints(n), VisionAspectRatio = aspect };
            TinyLlavaCheckpoint.Write(folder.Path, options);
            var config = ModelConfigReader.Read(folder.Path);
            Assert.Equal("llava_onevision", config.ModelType);
            Assert.Equal(max, config.AnyresMaxPatches);
            var shrunk = 0;
            for (var height = 1; height <= 200; height += 1)
            {
                for (var width = 1; width <= 200; width += 3)
                {
                    Assert.Equal(HfNumberOfFeatures(height, width, 28, 7, options.GridPinpoints!, max), config.AnyresImageTokens(height, width));
                    var (rows, columns) = config.AnyresGrid(height, width);
                    var (_, keptRows, _, keptColumns) = AnyresUnpadOf(height, width, rows * 4, columns * 4);
                    shrunk += config.AnyresPackedGrid(height, width) != (keptRows, keptColumns) ? 1 : 0;
                }
            }

            // The downsampling rule is exercised, not just the LLaVA-NeXT packing.
            Assert.True(shrunk > 100, $"{aspect}: only {shrunk} sizes shrunk");
            // Photo-like sizes and rounding edges (47 × 188: the round(.., 7) edge; slivers both ways).
            foreach (var (h, w) in new[] { (47, 188), (49, 49), (94, 376), (5, 180), (150, 4), (480, 640), (1080, 1920), (3000, 17) })
            {
                Assert.Equal(HfNumberOfFeatures(h, w, 28, 7, options.GridPinpoints!, max), config.AnyresImageTokens(h, w));
            }
        }
    }

    [Fact]
    public void TheRealCheckpointsGeometryCountsAsTheHfProcessor()
    {
        // llava-onevision-qwen2-0.5b-ov-hf: SigLIP 384 / 14 (g = 27), the 36 default pinpoints, anyres_max_9; the config
        // below leaves image_grid_pinpoints, vision_aspect_ratio, the strategy and the feature layer at their defaults.
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Onevision);
        var path = folder.File("config.json");
        var json = File.ReadAllText(path);
        foreach (var key in new[] { "\"image_grid_pinpoints\"", "\"vision_aspect_ratio\"", "\"vision_feature_select_strategy\"", "\"vision_feature_layer\"" })
        {
            var start = json.IndexOf(key, StringComparison.Ordinal);
            var end = json.IndexOf('\n', start);
            json = json.Remove(start, end - start + 1);
        }

        File.WriteAllText(path, json.Replace("\"image_size\": 28", "\"image_size\": 384").Replace("\"patch_size\": 7", "\"patch_size\": 14"));
        var config = ModelConfigReader.Read(folder.Path);
        Assert.Equal(9, config.AnyresMaxPatches);
        Assert.Equal(FeatureSelectStrategy.Full, config.FeatureSelectStrategy);
        Assert.Equal(-1, config.VisionFeatureLayer);
        Assert.Equal(36, config.ImageGridPinpoints!.Count);
        Assert.Equal((384, 768), config.ImageGridPinpoints[1]);
        foreach (var (h, w) in new[] { (480, 640), (1080, 1920), (384, 384), (2000, 300), (333, 4000), (768, 1024) })
        {
            Assert.Equal(HfNumberOfFeatures(h, w, 384, 14, config.ImageGridPinpoints, 9), config.AnyresImageTokens(h, w));
        }
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        { "\"vision_feature_select_strategy\": \"full\"", "\"vision_feature_select_strategy\": \"default\"" },
        { "\"model_type\": \"siglip_vision_model\"", "\"model_type\": \"clip_vision_model\"" },
        { "\"vision_aspect_ratio\": \"anyres_max_2\"", "\"vision_aspect_ratio\": \"anyres\"" },
        { "\"vision_aspect_ratio\": \"anyres_max_2\"", "\"vision_aspect_ratio\": \"anyres_max_0\"" },
        { "\"image_grid_pinpoints\": [[28, 28]", "\"image_grid_pinpoints\": [[30, 28]" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void UnsupportedOnevisionConfigsAreDop004(string find, string replace)
    {
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Onevision);
        var path = folder.File("config.json");
        var json = File.ReadAllText(path);
        Assert.Contains(find, json);
        File.WriteAllText(path, json.Replace(find, replace));
        var e = Assert.Throws<DopException>(() => ModelConfigReader.Read(folder.Path));
        Assert.Equal(DiagnosticCodes.ModelConfig, e.Code);
    }

    [Theory]
    [InlineData(20, 56)] // one row of tiles, not shrunk
    [InlineData(84, 84)] // 3 × 3 tiles: 12 × 12 patches shrunk to 5 × 5 (ratio sqrt(144 / 32))
    [InlineData(50, 170)] // wide, unpadded then shrunk
    [InlineData(150, 4)] // tall sliver
    public void TheModelPacksAsManyFeaturesAsTheProcessorCounts(int height, int width)
    {
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Onevision);
        using var model = LlavaModel.Load(folder.Path);
        var preprocessor = ImagePreprocessor.FromFile(folder.File("preprocessor_config.json"), model.Config.Vision!.ImageSize);
        Assert.Equal(28, preprocessor.TileSide);
        var png = folder.File("image.png");
        File.WriteAllBytes(png, Png.Rgb(width, height, (x, y) => ((byte)(x * 7), (byte)(y * 5), (byte)(x + y))));
        var image = preprocessor.Preprocess(png);
        var (rows, columns) = model.Config.AnyresGrid(height, width);
        Assert.Equal((rows * columns) + 1, image.Count);
        using var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
        var (features, cls) = model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
        using (features)
        using (cls)
        {
            Assert.Equal(HfNumberOfFeatures(height, width, 28, 7, Onevision.GridPinpoints!, 2), (int)features.shape[0]);
        }
    }

    /// <summary>(height, width): not shrunk, shrunk square, wide, slivers both ways, the round(.., 7) edge, a big tall one.</summary>
    public static TheoryData<int, int> ImageSizes => new()
    {
        { 20, 56 }, { 84, 84 }, { 50, 170 }, { 5, 180 }, { 150, 4 }, { 47, 188 }, { 200, 90 },
    };

    private static readonly int[] Prompt = [1, 5, 9, 12, Onevision.ImageTokenIndex, 20, 31, 7, 44, 3];

    [Theory]
    [MemberData(nameof(ImageSizes))]
    public void LogitsAndGreedyTokensMatchTheFloat64Reference(int height, int width)
    {
        using var run = new AnyresRun(Onevision, SafetensorsDType.F32);
        var image = run.Preprocess(height, width);
        var reference = new Float64LlavaOnevision(run.StoredTensors, Onevision);
        var rows = reference.ImageRows(image.Pixels.Select(v => (double)v).ToArray(), image.Count, image.ImageHeight, image.ImageWidth);
        Assert.Equal(HfNumberOfFeatures(height, width, 28, 7, Onevision.GridPinpoints!, 2), rows.Length);
        var (logits, greedy) = run.LogitsAndGreedy(image, Prompt, 4);
        var difference = AnyresRun.MaxDifference(logits, reference.Decoder.LastLogitsOf(Prompt, rows));
        Assert.True(difference <= Tolerance, $"{height}×{width}: max |Δlogit| {difference:E2}");
        Assert.Equal(reference.Decoder.GreedyOf(Prompt, rows, 4), greedy);
    }

    [Theory]
    [InlineData("new", "BF16", 2)]
    [InlineData("old", "F16", 1)]
    public void BothNamingsShardsAndDtypesMatchTheReference(string naming, string storage, int shards)
    {
        var options = Onevision with { Naming = naming };
        using var run = new AnyresRun(options, Enum.Parse<SafetensorsDType>(storage), shards);
        var image = run.Preprocess(84, 84);
        var reference = new Float64LlavaOnevision(run.StoredTensors, options);
        var rows = reference.ImageRows(image.Pixels.Select(v => (double)v).ToArray(), image.Count, image.ImageHeight, image.ImageWidth);
        var (logits, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var difference = AnyresRun.MaxDifference(logits, reference.Decoder.LastLogitsOf(Prompt, rows));
        Assert.True(difference <= Tolerance, $"max |Δlogit| {difference:E2}");
    }

    [Fact]
    public void RemovingImageNewlineChangesTheLogits()
    {
        using var run = new AnyresRun(Onevision, SafetensorsDType.F32);
        var image = run.Preprocess(84, 84);
        var without = new Float64LlavaOnevision(run.StoredTensors, Onevision, withoutNewline: true);
        var withoutRows = without.ImageRows(image.Pixels.Select(v => (double)v).ToArray(), image.Count, image.ImageHeight, image.ImageWidth);
        var (logits, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var difference = AnyresRun.MaxDifference(logits, without.Decoder.LastLogitsOf(Prompt, withoutRows));
        Assert.True(difference > 100 * Tolerance, $"without image_newline: max |Δlogit| {difference:E2} is not far past {Tolerance:E0}");
    }

    [Fact]
    public void PreExpandedAndSingleImageTokenPromptsGiveIdenticalLogits()
    {
        using var run = new AnyresRun(Onevision, SafetensorsDType.F32);
        var image = run.Preprocess(50, 170);
        var count = HfNumberOfFeatures(50, 170, 28, 7, Onevision.GridPinpoints!, 2);
        var expanded = Prompt.SelectMany(id => id == Onevision.ImageTokenIndex ? Enumerable.Repeat(id, count) : [id]).ToArray();
        var (single, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var (preExpanded, _) = run.LogitsAndGreedy(image, expanded, 1);
        Assert.Equal(single, preExpanded);
    }

    /// <summary>unpad_image's kept rows and columns, as the reference computes them (float aspect test, round(.., 7)).</summary>
    private static (int Top, int Rows, int Left, int Columns) AnyresUnpadOf(int height, int width, int gridHeight, int gridWidth)
    {
        if ((double)width / height > (double)gridWidth / gridHeight)
        {
            var newHeight = (int)Math.Round(height * ((double)gridWidth / width), 7);
            var padding = (gridHeight - newHeight) / 2;
            return (padding, gridHeight - (2 * padding), 0, gridWidth);
        }

        var newWidth = (int)Math.Round(width * ((double)gridHeight / height), 7);
        var pad = (gridWidth - newWidth) / 2;
        return (0, gridHeight, pad, gridWidth - (2 * pad));
    }
}
