using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>Image splits on a SigLIP tower, which has no [CLS] token to rank image tokens by.</summary>
public sealed class SiglipRankingTests : IDisposable
{
    private static readonly TinyLlavaOptions Siglip = TinySearchProject.DefaultOptions with
    {
        VisionType = "siglip", TextType = "qwen2", VisionFeatureLayer = -1, FeatureStrategy = "full", Naming = "new",
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-siglip-ranking", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("groups:\n  - source: image\n    cls_split: {key_fraction: 0.25}\n", "cls_split")]
    [InlineData("grid:\n  n_v: [4, 8]\n", "grid.n_v")]
    public void ClsRankingOnATowerWithoutClsIsDop046PointingToSpread(string yaml, string named)
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.9, options: Siglip, extraYaml: yaml)).GetValueOrThrow();
        var error = Assert.Throws<Model.DopException>(() => DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()));
        Assert.Equal("DOP046", error.Code);
        Assert.Contains(named, error.Message);
        Assert.Contains("ranking: spread", error.Message);
    }

    [Fact]
    public void ASpreadSplitSearchesOnSiglip()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.9, options: Siglip,
            extraYaml: "groups:\n  - source: image\n    cls_split: {key_fraction: 0.25}\n    ranking: spread\n")).GetValueOrThrow();
        var document = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()).Document;
        Assert.Equal(4, document.Groups.Single(g => g.Name == "image_key").MeanTokens, 9); // a quarter of SigLIP's 16 patches
        Assert.All(document.Groups.Where(g => g.Source is "image_key" or "image_rest"), g => Assert.Equal("spread", g.Ranking));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
