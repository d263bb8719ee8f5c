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
}
