using DopCompiler.Inputs.Hashing;
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
/// The SigLIP + Qwen2 layout end to end, in process: <c>dop search</c> on a tiny llava-interleave-style project, the
/// generator on the policy it wrote, the emitted class compiled and loaded from the trimmed checkpoint, and its logits
/// and greedy tokens against the policy interpreter's on the full checkpoint.
/// </summary>
public sealed class SiglipQwenEndToEndTests : IDisposable
{
    private static readonly TinyLlavaOptions Options = TinySearchProject.DefaultOptions with
    {
        VisionType = "siglip", TextType = "qwen2", VisionFeatureLayer = -1, FeatureStrategy = "full", TieWordEmbeddings = true,
        RopeTheta = 1000000.0, Naming = "new", VisionIntermediate = 40,
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-siglip-qwen-e2e-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void SearchedPolicyCompilesToAClassThatGivesTheInterpretersOutput()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 4, budget: 0.8, options: Options)).GetValueOrThrow();
        var document = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()).Document;
        Assert.True(document.Model.QkvBias);
        Assert.Equal(16, document.Model.ImageTokens);
        Assert.Contains(document.Depths, d => d.Depth > 0); // a non-trivial policy
        Assert.True(document.Budget.FlopsFraction <= 0.8 + 1e-9, $"FLOPs fraction {document.Budget.FlopsFraction}");

        // The trimmed checkpoint keeps what SigLIP and Qwen2 add and drops the post_layernorm LLaVA never reads.
        var trimmed = Path.Combine(_folder, "trimmed");
        var trim = TrimmedCheckpoint.Write(spec.Model, trimmed, ModelHash.Of(spec.Model), document.SpecHash, PolicyModules.ModulesRead(document));
        Assert.Contains("model.language_model.layers.0.self_attn.k_proj.bias", trim.Kept);
        Assert.Contains("model.vision_tower.vision_model.embeddings.patch_embedding.bias", trim.Kept);
        Assert.Contains("model.vision_tower.vision_model.post_layernorm.weight", trim.LeftOut);
        Assert.DoesNotContain(trim.Kept, name => name.Contains("class_embedding", StringComparison.Ordinal));

        using var generated = GeneratedClassLoader.Load(document, "SiglipQwenDop", "E2E.Models", trimmed).Model;
        var tokenizer = ModelTokenizer.Load(spec.Model);
        var prompt = tokenizer.EncodePrompt("SYS: hi\nUSER: <image>\nwhat is it?\nASSISTANT:");
        var generator = new TorchSharp.torch.Generator(0).manual_seed(5);
        using var pixels = rand([3, Options.ImageSize, Options.ImageSize], generator: generator);
        using var logits = generated.Forward(pixels, prompt);

        // The interpreter runs on the class's own weights (as ParityTests does): same precision, same trimmed tensors.
        var model = generated.Model;
        var (features, cls) = model.EncodeImage(pixels);
        using (features)
        using (cls)
        {
            Assert.Equal(0, cls.shape[0]); // no [CLS] on SigLIP, so no [CLS] ranking
            using var embeddings = model.EmbedPrompt(prompt, features, out var segments);
            var layout = TokenGroupLayout.ForLlava(segments, 1, []);
            var mask = PolicyDocumentFactory.ToDepthPolicy(document).ToMask(layout.Groups.Select(g => g.Name).ToArray(), model.Layers.Count);
            using var plan = ExecutionPlan.Build(mask, layout, layout.AlwaysKept, model.Rotary);
            using var interpreted = PrunedForward.Prefill(model, embeddings, plan);
            Assert.True(logits.allclose(interpreted[0], rtol: 1e-5, atol: 1e-5));
            Assert.Equal(GreedyDecoder.Generate(model, embeddings, plan, 5), generated.Generate(pixels, prompt, 5));

            // The policy changes the answer's logits, so agreement above is not agreement with the unpruned model.
            using var reference = model.ReferencePrefill(embeddings, [segments.Length - 1]);
            Assert.False(logits.allclose(reference[0], rtol: 1e-4, atol: 1e-4));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
