using DopCompiler.Generator.Tests.Generated;
using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Runtime;
using DopCompiler.Search;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;
using DopCompiler.Inputs.Hashing;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// A generated class loads only the model its policy was made for: a trimmed checkpoint's recorded source hash, or the
/// full folder's content hash; <c>Load()</c> without a path finds the trimmed model next to the app.
/// </summary>
public sealed class ModelIdentityTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "dop-gen-identity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Fact]
    public void AFullModelWithAnotherHashIsRefusedNamingBothHashes()
    {
        var folder = TinyLlavaCheckpoint.Write(Path.Combine(_work, "other"), TestPolicies.Options);
        var actual = ModelHash.Of(folder);
        Assert.Equal(SearchInputs.HashModel(folder), actual);

        var error = Assert.Throws<DopException>(() => TinyDopA.Load(folder).Dispose());

        Assert.Equal(DiagnosticCodes.ModelHashMismatch, error.Code);
        Assert.Contains(actual, error.Message, StringComparison.Ordinal);
        Assert.Contains(TinyDopA.ModelHash, error.Message, StringComparison.Ordinal);
        Assert.Contains("DOP010", error.ToCanonicalString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ATrimmedModelMadeFromAnotherModelIsRefusedNamingBothHashes()
    {
        var full = TinyLlavaCheckpoint.Write(Path.Combine(_work, "full"), TestPolicies.Options);
        var trimmed = Path.Combine(_work, "trimmed");
        TrimmedCheckpoint.Write(full, trimmed, "sha-of-some-other-model", "policy");

        var error = Assert.Throws<DopException>(() => TinyDopA.Load(trimmed).Dispose());

        Assert.Equal(DiagnosticCodes.ModelHashMismatch, error.Code);
        Assert.Contains("sha-of-some-other-model", error.Message, StringComparison.Ordinal);
        Assert.Contains(TinyDopA.ModelHash, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DopModelFolderMetadataSetsTheFolderLoadOpens()
    {
        var item = PolicyItem.For("tiny-a.policy.json", TestData.PolicyText("tiny-a.policy.json"));
        item = item with { Metadata = new Dictionary<string, string>(item.Metadata) { ["DopModelFolder"] = "models\\tiny/" } };
        var (result, _, _) = GeneratorHarness.Run([item]);
        Assert.Empty(result.Diagnostics);
        Assert.Contains("public const string ModelFolder = \"models/tiny\";", GeneratorHarness.Source(result, "MyApp.Models.TinyDop.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWithoutAPathOpensTheModelFolderNextToTheAppAndMatchesTheFullModel()
    {
        Assert.Equal("dop-model/TinyDopA", TinyDopA.ModelFolder);
        var full = TinyLlavaCheckpoint.Write(Path.Combine(_work, "full"), TestPolicies.Options,
            metadata: new Dictionary<string, string> { [TrimmedCheckpoint.SourceModelHashKey] = TestPolicies.ModelHash });
        var beside = Path.Combine(AppContext.BaseDirectory, TinyDopA.ModelFolder);
        try
        {
            TrimmedCheckpoint.Write(full, beside, TestPolicies.ModelHash, "policy");
            var generator = new TorchSharp.torch.Generator(0).manual_seed(3);
            using var pixels = rand([3, TestPolicies.Options.ImageSize, TestPolicies.Options.ImageSize], generator: generator);
            int[] prompt = [1, 5, 9, TestPolicies.Options.ImageTokenIndex, 20, 31, 7];
            using var fromFull = TinyDopA.Load(full);
            using var fromApp = TinyDopA.Load();
            using var a = fromFull.Forward(pixels, prompt);
            using var b = fromApp.Forward(pixels, prompt);
            Assert.True(a.equal(b).all().item<bool>());
            Assert.Equal(fromFull.Generate(pixels, prompt, 4), fromApp.Generate(pixels, prompt, 4));
        }
        finally
        {
            Directory.Delete(Path.Combine(AppContext.BaseDirectory, "dop-model"), recursive: true);
        }
    }
}
