using DopCompiler.Generator.Tests.Generated;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Text;
using DopCompiler.Policy;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// A class of several budgets (<c>budgets:</c>, tiny-variants.policy.json: <c>fast</c> then <c>exact</c>): each variant is
/// its own policy on one loaded model, chosen per call, and matches the interpreter on that policy.
/// </summary>
public sealed class VariantTests(ParityTests.Fixture fixture) : IClassFixture<ParityTests.Fixture>
{
    private const string File = "tiny-variants.policy.json";
    private const int NewTokens = 6;

    public static TheoryData<string> VariantNames() => new("fast", "exact");

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void EachVariantGivesTheInterpretersLogitsAndTokensOnItsPolicy(string name)
    {
        var model = (TinyDopVariants)fixture.For(File);
        var variant = VariantOf(name);
        var document = ParityTests.Fixture.Document(File).VariantDocument(name)!;
        using var logits = model.Forward(fixture.Pixels, fixture.PromptIds, variant);
        using var interpreted = fixture.Interpret(model, document);
        Assert.True(logits.allclose(interpreted[0], rtol: 1e-5, atol: 1e-5));

        using var embeddings = fixture.Embed(model, out var segments, out var cls);
        using var plan = fixture.Plan(model, document, segments, cls);
        Assert.Equal(GreedyDecoder.Generate(model.Model, embeddings, plan, NewTokens), model.Generate(fixture.Pixels, fixture.PromptIds, variant, NewTokens));
    }

    [Fact]
    public void VariantsRunTheirOwnPoliciesAndTheDefaultIsTheFirst()
    {
        var model = (TinyDopVariants)fixture.For(File);
        using var fast = model.Forward(fixture.Pixels, fixture.PromptIds, TinyDopVariants.Variant.Fast);
        using var exact = model.Forward(fixture.Pixels, fixture.PromptIds, TinyDopVariants.Variant.Exact);
        using var byDefault = model.Forward(fixture.Pixels, fixture.PromptIds);
        Assert.False(fast.allclose(exact, rtol: 1e-4, atol: 1e-4));
        Assert.True(byDefault.equal(fast).all().item<bool>());

        // Alternating variants on one layout replays each variant's own steps (a shared replay would mix them up).
        using var exactAgain = model.Forward(fixture.Pixels, fixture.PromptIds, TinyDopVariants.Variant.Exact);
        using var fastAgain = model.Forward(fixture.Pixels, fixture.PromptIds, TinyDopVariants.Variant.Fast);
        Assert.True(exactAgain.equal(exact).all().item<bool>());
        Assert.True(fastAgain.equal(fast).all().item<bool>());

        // The generated class states what each variant reached, from the policy file.
        var variants = ParityTests.Fixture.Document(File).Variants!;
        Assert.Equal(["fast", "exact"], variants.Select(v => v.Name));
        Assert.Equal(variants[1].Budget.FlopsFraction, TinyDopVariants.InfoOf(TinyDopVariants.Variant.Exact).FlopsFraction);
        Assert.Equal(variants[0].Budget.Asked, TinyDopVariants.InfoOf(TinyDopVariants.Variant.Fast).BudgetAsked);
        Assert.Equal(TinyDopVariants.BudgetReached, variants[0].Budget.Reached);
    }

    [Fact]
    public void AnswerDecodesTheGreedyTokensWithTheModelsOwnTokenizer()
    {
        // A fixture with a vocabulary large enough for the character-level test tokenizer, claiming the policies' model hash.
        var options = TestPolicies.Options with { Vocab = 128 };
        var folder = Path.Combine(Path.GetTempPath(), "dop-gen-answer-" + Guid.NewGuid().ToString("N"));
        try
        {
            TinyLlavaCheckpoint.Write(folder, options, metadata: new Dictionary<string, string> { [TrimmedCheckpoint.SourceModelHashKey] = TestPolicies.ModelHash });
            TinyTokenizer.Write(folder, options.ImageTokenIndex);
            var image = Path.Combine(folder, "photo.png");
            System.IO.File.WriteAllBytes(image, Png.Rgb(options.ImageSize, options.ImageSize, (x, y) => ((byte)(x * 7), (byte)(y * 5), (byte)((x + y) * 3))));
            const string Prompt = "USER: <image>\nWhat is shown?\nASSISTANT:";
            using var model = TinyDopVariants.Load(folder);
            var tokenizer = ModelTokenizer.Load(folder);
            var ids = tokenizer.EncodePrompt(Prompt);
            foreach (var variant in new[] { TinyDopVariants.Variant.Fast, TinyDopVariants.Variant.Exact })
            {
                var tokens = model.Generate(image, ids, variant, 5, tokenizer.EosId ?? -1);
                Assert.NotEmpty(tokens);
                Assert.Equal(tokenizer.Decode(tokens).Trim(), model.Answer(image, Prompt, variant, maxNewTokens: 5));
            }

            Assert.Equal(model.Answer(image, Prompt, TinyDopVariants.Variant.Fast, maxNewTokens: 5), model.Answer(image, Prompt, maxNewTokens: 5));
            // The default length is the runtime's, and a zero budget answers nothing.
            Assert.Equal("", model.Answer(image, Prompt, maxNewTokens: 0));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static TinyDopVariants.Variant VariantOf(string name) => Enum.Parse<TinyDopVariants.Variant>(char.ToUpperInvariant(name[0]) + name[1..]);
}
