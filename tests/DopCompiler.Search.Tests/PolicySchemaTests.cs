using System.Text;
using System.Text.RegularExpressions;
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
        // A forced precision needs version 3: an older reader would silently follow the machine's probe.
        Assert.Equal(4, PolicySchema.VersionFor(plain, hasVariants: false, PolicySchema.Bf16Precision));
        Assert.Equal(4, PolicySchema.VersionFor(plain, hasVariants: true, PolicySchema.Bf16Precision));
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

    [Fact]
    public void AnUnknownPrecisionIsRefusedNotGuessed()
    {
        var document = new PolicyDocument { SchemaVersion = PolicySchema.Version, Precision = "fp16" };
        document.Model.NumLayers = 1;
        document.Layers.Add(new PolicyLayer());
        var refused = PolicySchema.TryParse(PolicySchema.Serialize(document));
        Assert.Equal((PolicyParseError.UnknownPrecision, "precision"), (refused.Error, refused.Location));
        Assert.Contains("'fp16'", refused.Message);
        document.Precision = PolicySchema.Bf16Precision;
        Assert.Equal(PolicySchema.Bf16Precision, PolicySchema.TryParse(PolicySchema.Serialize(document), out var error)!.Precision);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("{", PolicyParseError.MalformedJson, null)]
    [InlineData("{\"schema_version\": 1}", PolicyParseError.MissingSection, "model")]
    [InlineData("[]", PolicyParseError.MissingSection, "model")]
    [InlineData("{\"schema_version\": 9, \"groups\": 5}", PolicyParseError.UnreadableVersion, "schema_version")]
    [InlineData("{\"schema_version\": \"one\"}", PolicyParseError.MalformedJson, null)]
    public void TheTypedResultNamesTheKindAndTheKey(string json, PolicyParseError kind, string? location)
    {
        var result = PolicySchema.TryParse(Encoding.UTF8.GetBytes(json));
        Assert.Null(result.Document);
        Assert.False(result.Succeeded);
        Assert.Equal(kind, result.Error);
        Assert.Equal(location, result.Location);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    [Fact]
    public void EachCheckOfAWellFormedFileHasItsOwnKind()
    {
        static PolicyParseResult Parse(PolicyDocument document, Func<string, string>? edit = null)
        {
            var json = Encoding.UTF8.GetString(PolicySchema.Serialize(document));
            return PolicySchema.TryParse(Encoding.UTF8.GetBytes(edit is null ? json : edit(json)));
        }

        var valid = Valid();
        var ok = Parse(valid);
        Assert.True(ok.Succeeded);
        Assert.Equal(PolicyParseError.None, ok.Error);
        Assert.Equal(2, ok.Document!.Layers.Count);

        var noVersion = Parse(valid, json => Regex.Replace(json, "\"schema_version\":\\s*1,", ""));
        Assert.Equal((PolicyParseError.MissingVersion, "schema_version"), (noVersion.Error, noVersion.Location));

        var newer = Valid();
        newer.SchemaVersion = PolicySchema.Version + 1;
        var refused = Parse(newer);
        Assert.Equal((PolicyParseError.UnreadableVersion, PolicySchema.Version + 1), (refused.Error, refused.SchemaVersion));

        var nullGroup = Parse(valid, json => Regex.Replace(json, "\"groups\":\\s*\\[", "\"groups\": [null,"));
        Assert.Equal((PolicyParseError.MissingSection, "groups"), (nullGroup.Error, nullGroup.Location));

        var noLayers = Valid();
        noLayers.Model.NumLayers = 0;
        noLayers.Layers.Clear();
        Assert.Equal(PolicyParseError.InvalidModel, Parse(noLayers).Error);

        var ranking = Valid();
        ranking.Groups[0].Ranking = "random";
        var unknown = Parse(ranking);
        Assert.Equal((PolicyParseError.UnknownRanking, "groups[0].ranking"), (unknown.Error, unknown.Location));

        var shortTable = Valid();
        shortTable.Layers.RemoveAt(1);
        var inconsistent = Parse(shortTable);
        Assert.Equal((PolicyParseError.InconsistentLayers, "layers"), (inconsistent.Error, inconsistent.Location));
    }

    private static PolicyDocument Valid()
    {
        var document = new PolicyDocument { SchemaVersion = 1 };
        document.Model.NumLayers = 2;
        document.Groups.Add(new PolicyGroup { Name = "image", Source = "image" });
        document.Layers.Add(new PolicyLayer { Layer = 0 });
        document.Layers.Add(new PolicyLayer { Layer = 1 });
        return document;
    }
}
