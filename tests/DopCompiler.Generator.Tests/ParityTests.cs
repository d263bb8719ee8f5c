using System.Diagnostics;
using System.Text;
using DopCompiler.Generator.Tests.Generated;
using DopCompiler.Inputs.Hashing;
using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Runtime;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.TestFixtures;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// §8's last invariant: the class the real generator emitted into this project (from TestData/*.policy.json), the
/// policy interpreter and, at the empty policy, the reference forward agree on logits and greedy tokens.
/// </summary>
public sealed class ParityTests(ParityTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<ParityTests.Fixture>
{
    private const int NewTokens = 6;

    public static TheoryData<string> PrunedPolicies() => new("tiny-a.policy.json", "tiny-split.policy.json", "tiny-spread.policy.json");

    [Theory]
    [MemberData(nameof(PrunedPolicies))]
    public void GeneratedClassGivesTheInterpretersLogits(string policyFile)
    {
        var generated = fixture.For(policyFile);
        using var logits = generated.Forward(fixture.Pixels, fixture.PromptIds); // [V]
        using var interpreted = fixture.Interpret(generated, policyFile); // [1, V]
        Assert.True(logits.allclose(interpreted[0], rtol: 1e-5, atol: 1e-5));
        output.WriteLine($"{policyFile}: generated and interpreted logits bit-identical: {logits.equal(interpreted[0]).all().item<bool>()}");

        // The policy does change the result (otherwise agreement proves little), and a second run (replayed row selections) repeats it.
        using var reference = fixture.Reference(generated);
        Assert.False(logits.allclose(reference[0], rtol: 1e-4, atol: 1e-4));
        using var again = generated.Forward(fixture.Pixels, fixture.PromptIds);
        Assert.True(again.equal(logits).all().item<bool>());
    }

    [Fact]
    public void ASpreadSplitTakesOtherImageTokensThanTheClsSplit()
    {
        // Same depths, same key share: only the order the key quarter is taken in differs, so equal logits would mean
        // the generated class ignored the policy's ranking.
        using var cls = fixture.For("tiny-split.policy.json").Forward(fixture.Pixels, fixture.PromptIds);
        using var spread = fixture.For("tiny-spread.policy.json").Forward(fixture.Pixels, fixture.PromptIds);
        Assert.False(cls.allclose(spread, rtol: 1e-4, atol: 1e-4));
    }

    [Theory]
    [MemberData(nameof(PrunedPolicies))]
    public void GeneratedClassGivesTheInterpretersGreedyTokens(string policyFile)
    {
        var generated = fixture.For(policyFile);
        var tokens = generated.Generate(fixture.Pixels, fixture.PromptIds, NewTokens);
        using var embeddings = fixture.Embed(generated, out var segments, out var cls);
        using var plan = fixture.Plan(generated, policyFile, segments, cls);
        var interpreted = GreedyDecoder.Generate(generated.Model, embeddings, plan, NewTokens);
        Assert.Equal(NewTokens, tokens.Count);
        Assert.Equal(interpreted, tokens);
    }

    [Fact]
    public void EmptyPolicyGivesTheReferenceLogitsAndTokens()
    {
        var generated = fixture.For("tiny-empty.policy.json");
        using var logits = generated.Forward(fixture.Pixels, fixture.PromptIds);
        using var reference = fixture.Reference(generated);
        using var interpreted = fixture.Interpret(generated, "tiny-empty.policy.json");
        Assert.True(logits.allclose(reference[0], rtol: 1e-5, atol: 1e-5));
        Assert.True(logits.equal(interpreted[0]).all().item<bool>());

        using var embeddings = fixture.Embed(generated, out _, out _);
        Assert.Equal(GreedyDecoder.Generate(generated.Model, embeddings, null, NewTokens), generated.Generate(fixture.Pixels, fixture.PromptIds, NewTokens));
    }

    [Fact]
    public void TheGeneratedClassDocumentsItsPolicy()
    {
        Assert.Equal("tiny-llava", TinyDopA.ModelName);
        Assert.Equal(4, TinyDopA.LayerCount);
        Assert.Equal(0.5712, TinyDopA.BudgetReached);
        Assert.Equal(2, (int)TinyDopSplit.TokenGroup.ImageRest);
        Assert.Equal(6u, (uint)(TinyDopA.TokenGroups.Image | TinyDopA.TokenGroups.Text));
    }

    [Fact]
    public void AModelOfAnotherShapeIsRefused()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dop-gen-other-" + Guid.NewGuid().ToString("N"));
        try
        {
            TinyLlavaCheckpoint.Write(folder, TestPolicies.Options with { Layers = 3 });
            var error = Assert.Throws<DopException>(() => TinyDopA.Load(folder).Dispose());
            Assert.Equal(DiagnosticCodes.PolicyMismatch, error.Code);
            Assert.Contains("num_hidden_layers is 3", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PrefillTimeAgainstTheInterpreter()
    {
        // Measured, not asserted (the machine is noisy): interleaved medians within one run.
        var generated = fixture.For("tiny-a.policy.json");
        using var embeddings = fixture.Embed(generated, out var segments, out var cls);
        using var prebuilt = fixture.Plan(generated, "tiny-a.policy.json", segments, cls);
        var times = new List<double>[3] { [], [], [] };
        for (var i = 0; i < 60; i++)
        {
            times[0].Add(Time(() => generated.Prefill(embeddings, segments).Dispose()));
            times[1].Add(Time(() =>
            {
                using var plan = fixture.Plan(generated, "tiny-a.policy.json", segments, cls);
                PrunedForward.Prefill(generated.Model, embeddings, plan).Dispose();
            }));
            times[2].Add(Time(() => PrunedForward.Prefill(generated.Model, embeddings, prebuilt).Dispose()));
        }

        var medians = times.Select(t => t.Skip(10).Order().ElementAt((t.Count - 10) / 2)).ToArray();
        output.WriteLine($"median prefill, tiny fixture ({segments.Length} tokens): generated {medians[0]:F3} ms, interpreter with plan per call {medians[1]:F3} ms, interpreter with prebuilt plan {medians[2]:F3} ms");
        Assert.All(medians, m => Assert.True(m > 0));
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    public sealed class Fixture : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-gen-parity-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, DopCompiledModel> _models = new(StringComparer.Ordinal);

        public Fixture()
        {
            // The test policies name a placeholder model hash; the folder claims it the way a trimmed checkpoint does.
            TinyLlavaCheckpoint.Write(_folder, TestPolicies.Options, metadata: new Dictionary<string, string> { [TrimmedCheckpoint.SourceModelHashKey] = TestPolicies.ModelHash });
            _models["tiny-a.policy.json"] = TinyDopA.Load(_folder);
            _models["tiny-split.policy.json"] = TinyDopSplit.Load(_folder);
            _models["tiny-spread.policy.json"] = TinyDopSpread.Load(_folder);
            _models["tiny-empty.policy.json"] = TinyDopEmpty.Load(_folder);
            _models["tiny-variants.policy.json"] = TinyDopVariants.Load(_folder);
            var generator = new TorchSharp.torch.Generator(0).manual_seed(11);
            Pixels = rand([3, TestPolicies.Options.ImageSize, TestPolicies.Options.ImageSize], generator: generator);
            PromptIds = [1, 5, 9, 12, TestPolicies.Options.ImageTokenIndex, 20, 31, 7, 44, 3];
        }

        public Tensor Pixels { get; }

        public int[] PromptIds { get; }

        public DopCompiledModel For(string policyFile) => _models[policyFile];

        public Tensor Embed(DopCompiledModel model, out PromptSegments segments, out float[] cls)
        {
            var (features, clsAttention) = model.Model.EncodeImage(Pixels);
            using (features)
            using (clsAttention)
            {
                cls = clsAttention.data<float>().ToArray();
                return model.Model.EmbedPrompt(PromptIds, features, out segments);
            }
        }

        public static PolicyDocument Document(string policyFile) =>
            PolicySchema.TryParse(Encoding.UTF8.GetBytes(TestData.PolicyText(policyFile)), out var error) ?? throw new InvalidOperationException(error);

        public ExecutionPlan Plan(DopCompiledModel model, string policyFile, PromptSegments segments, float[] cls) => Plan(model, Document(policyFile), segments, cls);

        public ExecutionPlan Plan(DopCompiledModel model, PolicyDocument document, PromptSegments segments, float[] cls)
        {
            var key = document.Groups.FirstOrDefault(g => g.Name == "image_key");
            var layout = TokenGroupLayout.ForLlava(segments, 1, cls, key?.ImageFraction, imageRanking: key?.Ranking ?? ImageTokenOrder.ClsWord);
            var mask = PolicyDocumentFactory.ToDepthPolicy(document).ToMask(layout.Groups.Select(g => g.Name).ToArray(), model.Model.Layers.Count);
            return ExecutionPlan.Build(mask, layout, layout.AlwaysKept, model.Model.Rotary);
        }

        /// <summary>The interpreter's logits [1, V] at the last prompt position.</summary>
        public Tensor Interpret(DopCompiledModel model, string policyFile) => Interpret(model, Document(policyFile));

        /// <summary>The interpreter's logits [1, V] for a document (one variant of a file with several: <see cref="PolicyDocument.VariantDocument"/>).</summary>
        public Tensor Interpret(DopCompiledModel model, PolicyDocument document)
        {
            using var embeddings = Embed(model, out var segments, out var cls);
            using var plan = Plan(model, document, segments, cls);
            return PrunedForward.Prefill(model.Model, embeddings, plan);
        }

        /// <summary>The unpruned reference's logits [1, V] at the last prompt position.</summary>
        public Tensor Reference(DopCompiledModel model)
        {
            using var embeddings = Embed(model, out var segments, out _);
            return model.Model.ReferencePrefill(embeddings, [segments.Length - 1]);
        }

        public void Dispose()
        {
            foreach (var model in _models.Values)
            {
                model.Dispose();
            }

            Pixels.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
