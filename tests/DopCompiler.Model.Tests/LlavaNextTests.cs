using DopCompiler.Inputs.Images;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Tests.Reference;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>
/// LLaVA-NeXT (<c>llava_next</c>, anyres tiles) on a tiny fixture in the on-disk layout (crop 28, patch 7, pinpoints
/// 28×56, 56×28, 56×56, 84×28, 28×84): token counts against the HF processor's formula, logits and greedy tokens against
/// <see cref="Float64LlavaNext"/> within 1e-4, the newline's effect, pre-expanded prompts, tensor namings and dtypes,
/// Mistral's window.
/// </summary>
public sealed class LlavaNextTests
{
    private const double Tolerance = 1e-4;

    private static readonly TinyLlavaOptions Next = new()
    {
        ImageSize = 28, PatchSize = 7, VisionLayers = 2, WeightScale = 1.5,
        GridPinpoints = [(28, 56), (56, 28), (56, 56), (84, 28), (28, 84)],
    };

    /// <summary>(height, width): wide, tall, square, large wide, thin slivers both ways, and two rounding edges.</summary>
    public static TheoryData<int, int> ImageSizes => new()
    {
        { 20, 56 }, { 60, 22 }, { 40, 40 }, { 50, 170 }, { 5, 180 }, { 150, 4 },
        // 49 × (8 / 49) is 7.999999999999999 in doubles: round(.., 7) makes it 8, a bare int() 7 (the padding is 0 either way).
        { 49, 49 },
        // 47 × (12 / 188) is 2.9999999999999996: the same edge on the height.
        { 47, 188 },
    };

    private static readonly int[] Prompt = [1, 5, 9, 12, Next.ImageTokenIndex, 20, 31, 7, 44, 3];

    /// <summary>
    /// LlavaNextProcessor._get_number_of_features / _get_unpadded_features (processing_llava_next.py), written out here
    /// independently: height and width are the processed tile's (crop) size, num_additional_image_tokens 1 (llava-v1.6's
    /// processor_config.json), less 1 for vision_feature_select_strategy "default" (__call__).
    /// </summary>
    /// <param name="roundTo7">False: a bare <c>int()</c> instead of <c>int(round(x, 7))</c>, the rounding the edge sizes catch.</param>
    private static int HfNumberOfFeatures(int origHeight, int origWidth, int crop, int patchSize, IReadOnlyList<(int, int)> pinpoints, bool roundTo7 = true)
    {
        var (bestHeight, bestWidth) = Float64LlavaNext.SelectBestResolution(origHeight, origWidth, pinpoints);
        int scaleHeight = bestHeight / crop, scaleWidth = bestWidth / crop;
        int patchesHeight = crop / patchSize, patchesWidth = crop / patchSize;
        var currentHeight = patchesHeight * scaleHeight;
        var currentWidth = patchesWidth * scaleWidth;
        var originalAspect = (double)origWidth / origHeight;
        var currentAspect = (double)currentWidth / currentHeight;
        if (originalAspect > currentAspect)
        {
            var value = origHeight * ((double)currentWidth / origWidth);
            var newHeight = (int)(roundTo7 ? Math.Round(value, 7) : value);
            currentHeight -= (currentHeight - newHeight) / 2 * 2;
        }
        else
        {
            var value = origWidth * ((double)currentHeight / origHeight);
            var newWidth = (int)(roundTo7 ? Math.Round(value, 7) : value);
            currentWidth -= (currentWidth - newWidth) / 2 * 2;
        }

        var unpadded = currentHeight * currentWidth;
        var newlines = currentHeight;
        var baseFeatures = (patchesHeight * patchesWidth) + 1;
        return unpadded + newlines + baseFeatures - 1;
    }

    [Fact]
    public void TokenCountEqualsTheHfProcessorFormulaForManySizes()
    {
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Next);
        var config = ModelConfigReader.Read(folder.Path);
        Assert.Equal("llava_next", config.ModelType);
        var checkedSizes = 0;
        var edges = 0;
        for (var height = 1; height <= 200; height += 1)
        {
            for (var width = 1; width <= 200; width += 3)
            {
                var expected = HfNumberOfFeatures(height, width, 28, 7, Next.GridPinpoints!);
                Assert.Equal(expected, config.AnyresImageTokens(height, width));
                checkedSizes++;
            }
        }

        // Sizes where the double product lands just below an integer (the round(.., 7) edge): at 47 × 188 a bare int()
        // would unpad one row more on each side.
        foreach (var (h, w) in new[] { (49, 49), (47, 188), (94, 376) })
        {
            Assert.Equal(HfNumberOfFeatures(h, w, 28, 7, Next.GridPinpoints!), config.AnyresImageTokens(h, w));
            edges++;
        }

        Assert.NotEqual(HfNumberOfFeatures(47, 188, 28, 7, Next.GridPinpoints!, roundTo7: false), config.AnyresImageTokens(47, 188));

        Assert.Equal(200 * 67, checkedSizes);
        Assert.Equal(3, edges);
        // Different shapes give different counts: the count is not a constant of the model.
        Assert.NotEqual(config.AnyresImageTokens(20, 56), config.AnyresImageTokens(60, 22));
    }

    [Fact]
    public void TiesGoToTheFirstPinpointListed()
    {
        // A square image fits 28×56 and 56×28 with the same effective resolution and the same waste: the first listed
        // wins (select_best_resolution replaces only on strictly less waste), so the list's order decides the grid.
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Next);
        Assert.Equal((1, 2), ModelConfigReader.Read(folder.Path).AnyresGrid(28, 28));
        using var swapped = new TempFolder();
        TinyLlavaCheckpoint.Write(swapped.Path, Next with { GridPinpoints = [(56, 28), (28, 56), (56, 56), (84, 28), (28, 84)] });
        Assert.Equal((2, 1), ModelConfigReader.Read(swapped.Path).AnyresGrid(28, 28));
        // Unpadding keeps the same 4 × 4 patches of either grid (tiles side by side or stacked), and the count follows
        // the HF formula under each list.
        Assert.Equal(HfNumberOfFeatures(28, 28, 28, 7, [(56, 28), (28, 56)]), ModelConfigReader.Read(swapped.Path).AnyresImageTokens(28, 28));
    }

    [Theory]
    [MemberData(nameof(ImageSizes))]
    public void LogitsAndGreedyTokensMatchTheFloat64Reference(int height, int width)
    {
        using var run = new AnyresRun(Next, SafetensorsDType.F32, 1);
        var image = run.Preprocess(height, width);
        Assert.Equal(HfNumberOfFeatures(height, width, 28, 7, Next.GridPinpoints!), run.Features(image).Rows);

        var reference = new Float64LlavaNext(run.StoredTensors, Next);
        var rows = reference.ImageRows(image.Pixels.Select(v => (double)v).ToArray(), image.Count, image.ImageHeight, image.ImageWidth);
        Assert.Equal(rows.Length, run.Features(image).Rows);
        var (logits, greedy) = run.LogitsAndGreedy(image, Prompt, 4);
        var difference = AnyresRun.MaxDifference(logits, reference.Decoder.LastLogitsOf(Prompt, rows));
        Assert.True(difference <= Tolerance, $"{height}×{width}: max |Δlogit| {difference:E2}");
        Assert.Equal(reference.Decoder.GreedyOf(Prompt, rows, 4), greedy);
    }

    public static TheoryData<string, string, int, string> Layouts => new()
    {
        // naming, storage, shards, text model
        { "new", "F32", 1, "llama" },
        { "old", "BF16", 2, "llama" },
        { "new", "F16", 3, "mistral" },
        { "old", "F32", 1, "mistral" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void BothNamingsShardsAndDtypesMatchTheReference(string naming, string storage, int shards, string text)
    {
        var options = Next with { Naming = naming, TextType = text };
        using var run = new AnyresRun(options, Enum.Parse<SafetensorsDType>(storage), shards);
        Assert.Equal(text, run.Model.Config.Text.ModelType);
        var image = run.Preprocess(50, 170);
        var reference = new Float64LlavaNext(run.StoredTensors, options);
        var rows = reference.ImageRows(image.Pixels.Select(v => (double)v).ToArray(), image.Count, image.ImageHeight, image.ImageWidth);
        var (logits, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var difference = AnyresRun.MaxDifference(logits, reference.Decoder.LastLogitsOf(Prompt, rows));
        Assert.True(difference <= Tolerance, $"max |Δlogit| {difference:E2}");
    }

    [Fact]
    public void RemovingImageNewlineChangesTheLogits()
    {
        using var run = new AnyresRun(Next, SafetensorsDType.F32, 1);
        var image = run.Preprocess(20, 56);
        var pixels = image.Pixels.Select(v => (double)v).ToArray();
        var without = new Float64LlavaNext(run.StoredTensors, Next, withoutNewline: true);
        var withoutRows = without.ImageRows(pixels, image.Count, image.ImageHeight, image.ImageWidth);
        var (logits, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var difference = AnyresRun.MaxDifference(logits, without.Decoder.LastLogitsOf(Prompt, withoutRows));
        Assert.True(difference > 100 * Tolerance, $"without image_newline: max |Δlogit| {difference:E2} is not far past {Tolerance:E0}");
        Assert.True(run.Features(image).Rows > withoutRows.Length);
    }

    [Fact]
    public void PreExpandedAndSingleImageTokenPromptsGiveIdenticalLogits()
    {
        using var run = new AnyresRun(Next, SafetensorsDType.F32, 1);
        var image = run.Preprocess(60, 22);
        var count = run.Features(image).Rows;
        var expanded = Prompt.SelectMany(id => id == Next.ImageTokenIndex ? Enumerable.Repeat(id, count) : [id]).ToArray();
        var (single, _) = run.LogitsAndGreedy(image, Prompt, 1);
        var (preExpanded, _) = run.LogitsAndGreedy(image, expanded, 1);
        Assert.Equal(single, preExpanded);
        // One image token too few is refused, not silently merged.
        var shortOne = Prompt.SelectMany(id => id == Next.ImageTokenIndex ? Enumerable.Repeat(id, count - 1) : [id]).ToArray();
        var e = Assert.Throws<DopException>(() => run.LogitsAndGreedy(image, shortOne, 1));
        Assert.Equal(DiagnosticCodes.PromptLayout, e.Code);
    }

    [Fact]
    public void TilesAreTheZeroPaddedImageCutRowMajorAfterTheResizedBase()
    {
        using var run = new AnyresRun(Next, SafetensorsDType.F32, 1);
        // 20 × 56 picks 28 × 56 (full effective resolution, least waste) and needs no resize: padded 4 rows above, 4 below.
        var path = run.WritePng(20, 56);
        var image = run.Preprocessor.Preprocess(path);
        Assert.Equal((3, 28, 28, 20, 56, 1, 2), (image.Count, image.Height, image.Width, image.ImageHeight, image.ImageWidth, image.GridRows, image.GridColumns));
        var mean = new[] { 0.48145466f, 0.4578275f, 0.40821073f };
        var std = new[] { 0.26862954f, 0.26130258f, 0.27577711f };
        var plane = 28 * 28;
        for (var tile = 1; tile <= 2; tile++)
        {
            for (var ch = 0; ch < 3; ch++)
            {
                for (var y = 0; y < 28; y++)
                {
                    for (var x = 0; x < 28; x++)
                    {
                        var sourceY = y - 4;
                        var sourceX = x + ((tile - 1) * 28);
                        var value = sourceY is >= 0 and < 20 ? AnyresRun.Pixel(sourceX, sourceY)[ch] : (byte)0;
                        var expected = ((float)(value * (1 / 255.0)) - mean[ch]) / std[ch];
                        Assert.Equal(expected, image.Pixels[(((tile * 3) + ch) * plane) + (y * 28) + x]);
                    }
                }
            }
        }

        // A 1-row-taller image is resized into the pinpoint (aspect kept) and padded with the odd row at the bottom.
        Assert.Equal(3, run.Preprocessor.Preprocess(run.WritePng(21, 56)).Count);
        // 60 × 22 is tall: 84 × 28 keeps all 1320 pixels (scale 28/22), 56 × 28 only 56 × 20: three tiles stacked.
        var tall = run.Preprocessor.Preprocess(run.WritePng(60, 22));
        Assert.Equal((4, 3, 1), (tall.Count, tall.GridRows, tall.GridColumns));
    }

    [Fact]
    public void MistralPromptsLongerThanTheSlidingWindowAreACodedError()
    {
        var options = Next with { TextType = "mistral", SlidingWindow = 30 };
        using var run = new AnyresRun(options, SafetensorsDType.F32, 1);
        Assert.Equal(30, run.Model.Config.Text.SlidingWindow);
        var image = run.Preprocess(20, 56);
        var e = Assert.Throws<DopException>(() => run.LogitsAndGreedy(image, Prompt, 1));
        Assert.Equal(DiagnosticCodes.PromptLayout, e.Code);
        Assert.Contains("sliding_window (30", e.Message);

        // A text prompt that fits runs; generating past the window is refused at the step that would cross it.
        var text = Enumerable.Range(1, 28).Select(i => i % 50).ToArray();
        using var embeddings = run.Model.EmbedPrompt(text, null, out _);
        Assert.Equal(2, GreedyDecoder.Generate(run.Model, embeddings, null, 2).Count);
        Assert.Throws<DopException>(() => GreedyDecoder.Generate(run.Model, embeddings, null, 4));
    }

    [Fact]
    public void MistralWithoutAWindowReadsNull()
    {
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Next with { TextType = "mistral", SlidingWindow = null });
        Assert.Null(ModelConfigReader.Read(folder.Path).Text.SlidingWindow);
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        { "\"image_grid_pinpoints\": [[28, 56]", "\"image_grid_pinpoints\": [[30, 56]" },
        { "\"image_grid_pinpoints\": [[28, 56]", "\"image_grid_pinpoints\": [[\"28\", 56]" },
        { "\"vision_feature_select_strategy\": \"default\"", "\"vision_feature_select_strategy\": \"full\"" },
        { "\"model_type\": \"clip_vision_model\"", "\"model_type\": \"siglip_vision_model\"" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void UnsupportedLlavaNextConfigsAreDop004(string find, string replace)
    {
        using var folder = new TempFolder();
        TinyLlavaCheckpoint.Write(folder.Path, Next);
        var path = folder.File("config.json");
        var json = File.ReadAllText(path);
        Assert.Contains(find, json);
        File.WriteAllText(path, json.Replace(find, replace));
        var e = Assert.Throws<DopException>(() => ModelConfigReader.Read(folder.Path));
        Assert.Equal(DiagnosticCodes.ModelConfig, e.Code);
    }
}
