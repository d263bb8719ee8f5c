using System.Text;
using DopCompiler.Policy;

namespace DopCompiler.Search.Tests;

public sealed class PolicySchemaTests
{
    [Theory]
    [InlineData("{\"schema_version\": 1}", "lacks a section")]
    [InlineData("{", "not a well-formed")]
    [InlineData("[]", "lacks a section")]
    public void BadPolicyFilesAreReportedNotThrown(string json, string fragment)
    {
        var document = PolicySchema.TryParse(Encoding.UTF8.GetBytes(json), out var error);
        Assert.Null(document);
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void OtherSchemaVersionIsRefusedWithAHint()
    {
        var document = new PolicyDocument { SchemaVersion = PolicySchema.Version + 1 };
        document.Model.NumLayers = 1;
        document.Layers.Add(new PolicyLayer());
        Assert.Null(PolicySchema.TryParse(PolicySchema.Serialize(document), out var error));
        Assert.Contains("re-run the search", error);
    }

    [Fact]
    public void AFileIsWrittenWithTheOldestVersionThatHoldsWhatItUses()
    {
        // Version 1 files stay byte-identical and readable by older tools; only a spread split needs version 2,
        // which older readers refuse instead of silently taking the [CLS] order.
        var plain = new[] { new PolicyGroup { Name = "image_key", Source = "image_key" }, new PolicyGroup { Name = "image_rest", Source = "image_rest" } };
        Assert.Equal(1, PolicySchema.VersionFor(plain));
        plain[0].Ranking = "spread";
        Assert.Equal(2, PolicySchema.VersionFor(plain));
        Assert.True(PolicySchema.IsReadable(1));
        Assert.True(PolicySchema.IsReadable(PolicySchema.Version));
        Assert.False(PolicySchema.IsReadable(0));
    }

    [Fact]
    public void AnUnknownRankingIsRefusedNotGuessed()
    {
        var document = new PolicyDocument { SchemaVersion = PolicySchema.Version };
        document.Model.NumLayers = 1;
        document.Layers.Add(new PolicyLayer());
        document.Groups.Add(new PolicyGroup { Name = "image_key", Source = "image_key", Ranking = "random" });
        Assert.Null(PolicySchema.TryParse(PolicySchema.Serialize(document), out var error));
        Assert.Contains("ranking 'random'", error);
    }
}
