using DopCompiler.Inputs.Hashing;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Policy;
using DopCompiler.Runtime;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;
using Microsoft.CodeAnalysis;
using static TorchSharp.torch;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// Anyres models (LLaVA-NeXT, LLaVA-OneVision) end to end, in process: <c>dop search</c> on a tiny project whose
/// validation images have different sizes (so every sample has its own image-token count and layout), the generator on
/// the policy it wrote, the class compiled and loaded from the trimmed checkpoint, and its logits and greedy tokens on
/// images of other sizes against the policy interpreter's.
/// </summary>
public sealed class AnyresEndToEndTests : IDisposable
{
    /// <summary>Validation images (height, width): wide, tall, square-ish and a thin sliver, so their token counts differ.</summary>
    private static readonly (int Height, int Width)[] ValidationSizes = [(28, 56), (56, 28), (40, 40), (12, 90)];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-anyres-e2e-" + Guid.NewGuid().ToString("N"));

    public AnyresEndToEndTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public void LlavaNextSearchCompilesToAClassThatGivesTheInterpretersOutputOnEveryImageSize() =>
        SearchCompileAndCompare(TinyAnyresOptions.Next, extraYaml: null, "llava_next");

    [Fact]
    public void OnevisionSpreadSplitCompilesToAClassThatGivesTheInterpretersOutputOnEveryImageSize() =>
        SearchCompileAndCompare(TinyAnyresOptions.Onevision, "groups:\n  - source: image\n    cls_split: {key_fraction: 0.25}\n    ranking: spread\n", "llava_onevision");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private void SearchCompileAndCompare(TinyLlavaOptions options, string? extraYaml, string modelType)
    {
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 4, budget: 0.7, options: options, extraYaml: extraYaml,
            imageSizes: ValidationSizes)).GetValueOrThrow();
        var document = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()).Document;
        Assert.Equal(modelType, document.Model.ModelType);
        Assert.True(document.Model.ImageTokensVary);
        Assert.Equal(0, document.Model.ImageTokens);
        Assert.Contains(document.Depths, d => d.Depth > 0); // a non-trivial policy
        Assert.True(document.Budget.FlopsFraction <= 0.7 + 1e-9, $"FLOPs fraction {document.Budget.FlopsFraction}");

        // The layouts really differ per sample: the image group's mean is the mean of the per-image counts.
        var config = Model.Configuration.ModelConfigReader.Read(spec.Model);
        var counts = ValidationSizes.Select(s => config.AnyresImageTokens(s.Height, s.Width)).ToArray();
        Assert.True(counts.Distinct().Count() > 2, string.Join(",", counts));
        var imageTokens = document.Groups.Where(g => g.Source.StartsWith("image", StringComparison.Ordinal)).Sum(g => g.MeanTokens);
        Assert.Equal(counts.Average(), imageTokens, 6);

        // The class states no image-token count; the trimmed checkpoint keeps image_newline.
        var trimmed = Path.Combine(_folder, "trimmed");
        var trim = TrimmedCheckpoint.Write(spec.Model, trimmed, ModelHash.Of(spec.Model), document.SpecHash, PolicyModules.ModulesRead(document));
        Assert.Contains(trim.Kept, name => name.EndsWith("image_newline", StringComparison.Ordinal));
        var (generated, source) = GeneratedClassLoader.Load(document, "AnyresDop", "E2E.Models", trimmed);
        using (generated)
        {
            Assert.DoesNotContain("ImageTokenCount", source, StringComparison.Ordinal);
            Assert.Contains("ImageTokensVary = true", source, StringComparison.Ordinal);
            var tokenizer = ModelTokenizer.Load(spec.Model);
            var prompt = tokenizer.EncodePrompt("SYS: hi\nUSER: <image>\nwhat is it?\nASSISTANT:");
            var preprocessor = ImagePreprocessor.FromFile(Path.Combine(trimmed, "preprocessor_config.json"), options.ImageSize);
            var key = document.Groups.FirstOrDefault(g => g.Source == "image_key");
            var policy = PolicyDocumentFactory.ToDepthPolicy(document);
            var model = generated.Model;
            var seen = new HashSet<int>();

            // Sizes the search never saw (one hits the grid's unpad rounding edge), and one it did.
            foreach (var (height, width) in new[] { (50, 170), (29, 83), (84, 84), (28, 56) })
            {
                var path = Path.Combine(_folder, $"test-{height}x{width}.png");
                File.WriteAllBytes(path, Png.Rgb(width, height, (x, y) => ((byte)(x * 11), (byte)(y * 3), (byte)(x ^ y))));
                using var logits = generated.Forward(path, prompt);

                // The interpreter on the class's own weights: tiles, anyres features, the tile-aware layout, the pruned prefill.
                using var scope = NewDisposeScope();
                var image = preprocessor.Preprocess(path);
                var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
                var (features, _) = model.EncodeImage(pixels, height, width);
                Assert.Equal(generated.ImageTokensFor(height, width), (int)features.shape[0]);
                seen.Add((int)features.shape[0]);
                var embeddings = model.EmbedPrompt(prompt, features, out var segments);
                var grid = ImageTokenGrid.Of(model.Config, height, width);
                var layout = TokenGroupLayout.ForLlava(segments, 1, [], key?.ImageFraction, imageRanking: key?.Ranking ?? ImageTokenOrder.ClsWord, imageGrid: grid);
                var mask = policy.ToMask(layout.Groups.Select(g => g.Name).ToArray(), model.Layers.Count);
                using var plan = ExecutionPlan.Build(mask, layout, layout.AlwaysKept, model.Rotary);
                var interpreted = PrunedForward.Prefill(model, embeddings, plan);
                Assert.True(logits.allclose(interpreted[0], rtol: 1e-5, atol: 1e-5), $"{height}×{width}");
                Assert.Equal(GreedyDecoder.Generate(model, embeddings, plan, 4), generated.Generate(path, prompt, 4));

                // The policy changes the answer's logits, so agreement above is not agreement with the unpruned model.
                var reference = model.ReferencePrefill(embeddings, [segments.Length - 1]);
                Assert.False(logits.allclose(reference[0], rtol: 1e-4, atol: 1e-4), $"{height}×{width}");
            }

            Assert.True(seen.Count >= 2, string.Join(",", seen)); // OneVision's anyres_max_2 shrinks large grids to similar counts

            // Pixels alone cannot be placed on a tile grid: a coded error, not a wrong answer.
            using var lone = rand([3, options.ImageSize, options.ImageSize]);
            var error = Assert.Throws<Model.DopException>(() => generated.Forward(lone, prompt));
            Assert.Equal("DOP004", error.Code);
        }
    }
}
