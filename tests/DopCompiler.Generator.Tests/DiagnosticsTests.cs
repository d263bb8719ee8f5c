using System.Globalization;
using System.Text;
using DopCompiler.Policy;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator.Tests;

/// <summary>Every bad input is a DOPG diagnostic; the generator never throws and never emits half a class.</summary>
public sealed class DiagnosticsTests
{
    private static string PolicyA => TestData.PolicyText("tiny-a.policy.json");

    [Fact]
    public void AbsentPolicyEmitsNothingAndOneInfo()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", text: null)]);
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("DOPG001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
    }

    [Fact]
    public void ItemsWithoutDopPolicyAreIgnored()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("notes.json", "not json at all", policyFlag: "false")]);
        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void AnUnknownRankingIsDopg002()
    {
        var document = Parse(PolicyA);
        document.Groups[1].Ranking = "random";
        var result = Run(Encoding.UTF8.GetString(PolicySchema.Serialize(document)));
        AssertSingle(result, "DOPG002");
        Assert.Contains("ranking 'random'", result.Diagnostics[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{ \"schema_version\": 1, ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\u0000\u0001garbage")]
    [InlineData("{ \"schema_version\": \"one\" }")]
    public void MalformedJsonIsDopg002(string text) => AssertSingle(Run(text), "DOPG002");

    [Fact]
    public void ANullGroupEntryIsDopg002NotAnException()
    {
        var result = Run(PolicyA.Replace("\"groups\": [", "\"groups\": [null,", StringComparison.Ordinal));
        AssertSingle(result, "DOPG002");
        Assert.Contains("'groups'", result.Diagnostics[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void OtherSchemaVersionIsDopg003()
    {
        var document = Parse(PolicyA);
        document.SchemaVersion = PolicySchema.Version + 1;
        var result = Run(Encoding.UTF8.GetString(PolicySchema.Serialize(document)));
        AssertSingle(result, "DOPG003");
        Assert.Contains($"schema_version {PolicySchema.Version + 1}", result.Diagnostics[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("class")]
    [InlineData("1Model")]
    [InlineData("My-Model")]
    public void InvalidClassNameIsDopg004(string name) => AssertSingle(Run(PolicyA, className: name), "DOPG004");

    [Theory]
    [InlineData("My..App")]
    [InlineData("My.namespace")]
    [InlineData("My App")]
    public void InvalidNamespaceIsDopg005(string ns) => AssertSingle(Run(PolicyA, ns: ns), "DOPG005");

    [Fact]
    public void InvalidVisibilityIsDopg006() => AssertSingle(Run(PolicyA, visibility: "private"), "DOPG006");

    [Fact]
    public void LayersTableOfTheWrongLengthIsDopg007()
    {
        var document = Parse(PolicyA);
        document.Layers.RemoveAt(3);
        AssertSingle(Run(Serialize(document)), "DOPG007");
    }

    [Fact]
    public void UnknownGroupInALayerIsDopg007()
    {
        var document = Parse(PolicyA);
        document.Layers[2].Mlp.Add("audio");
        AssertSingle(Run(Serialize(document)), "DOPG007");
    }

    [Fact]
    public void GroupUsedAfterItLeftIsDopg007()
    {
        var document = Parse(PolicyA);
        document.Layers[1].Dropped.Add("image");
        AssertSingle(Run(Serialize(document)), "DOPG007");
    }

    [Fact]
    public void UnsupportedGroupLayoutIsDopg008()
    {
        var document = Parse(PolicyA);
        document.Groups.Reverse();
        AssertSingle(Run(Serialize(document)), "DOPG008");
    }

    [Fact]
    public void TwoPoliciesForOneClassIsDopg009()
    {
        var (result, _, _) = GeneratorHarness.Run(
        [
            PolicyItem.For("tiny-a.policy.json", PolicyA),
            PolicyItem.For("tiny-b.policy.json", TestData.PolicyText("tiny-b.policy.json")),
        ]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("DOPG009", diagnostic.Id);
        // The first (by file name) still generates.
        Assert.Contains(result.GeneratedSources, s => s.HintName == "MyApp.Models.TinyDop.g.cs");
    }

    [Fact]
    public void MissingRuntimeReferenceIsDopg010()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", PolicyA)], withRuntime: false);
        AssertSingle(result, "DOPG010");
    }

    [Fact]
    public void ModelFolderNameIsNotAModelIdentity()
    {
        // DOPG012 is retired: a moved or renamed model folder with the same bytes is the same model (the tool compares
        // content hashes), so a different folder name in the project is no warning that would never go away.
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", PolicyA, modelName: "other-model")]);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.GeneratedSources.Length);
    }

    [Fact]
    public void StalePolicyWarnsDopg013AndStillGenerates()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", PolicyA, stale: "the last search failed: DOP023: bad key")]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("DOPG013", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("DOP023: bad key", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains(result.GeneratedSources, s => s.HintName == "MyApp.Models.TinyDop.g.cs");
    }

    [Fact]
    public void PendingPoliciesGetDopg001NamingTheClass()
    {
        var (result, _, _) = GeneratorHarness.Run([], properties: new Dictionary<string, string> { ["DopPendingPolicies"] = "/p/obj/dop/dop.policy.json|Dop;/p/obj/dop/b.policy.json|BDop" });
        Assert.Equal(["DOPG001", "DOPG001"], result.Diagnostics.Select(d => d.Id));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
        var messages = result.Diagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Contains(messages, m => m.Contains("'b.policy.json'", StringComparison.Ordinal) && m.Contains("BDop", StringComparison.Ordinal));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void EveryDiagnosticHasAHelpLinkToItsAnchor()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", PolicyA, stale: "x")]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.EndsWith("docs/generated-code.md#dopg013", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsComeFromTheModelNameAndRootNamespace()
    {
        var (result, _, _) = GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", PolicyA, className: null, ns: null, visibility: null)], rootNamespace: "Contoso.App");
        Assert.Empty(result.Diagnostics);
        var source = GeneratorHarness.Source(result, "Contoso.App.TinyLlavaDop.g.cs");
        Assert.Contains("internal sealed partial class TinyLlavaDop", source, StringComparison.Ordinal);
    }

    [Fact]
    public void DiagnosticsPointAtThePolicyFile()
    {
        var result = Run("{");
        Assert.Equal("/project/obj/dop/tiny-a.policy.json", result.Diagnostics[0].Location.GetLineSpan().Path);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            var text = i % 2 == 0 ? Encoding.UTF8.GetString(bytes) : PolicyA[..random.Next(0, PolicyA.Length)];
            var result = Run(text);
            Assert.Null(result.Exception);
            Assert.Empty(result.GeneratedSources);
            Assert.NotEmpty(result.Diagnostics);
        }
    }

    private static GeneratorRunResult Run(string text, string? className = "TinyDop", string? ns = "MyApp.Models", string? visibility = "public") =>
        GeneratorHarness.Run([PolicyItem.For("tiny-a.policy.json", text, className, ns, visibility)]).Result;

    private static void AssertSingle(GeneratorRunResult result, string id)
    {
        Assert.Null(result.Exception);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Empty(result.GeneratedSources);
    }

    private static PolicyDocument Parse(string text) => PolicySchema.TryParse(Encoding.UTF8.GetBytes(text), out var error) ?? throw new InvalidOperationException(error);

    private static string Serialize(PolicyDocument document) => Encoding.UTF8.GetString(PolicySchema.Serialize(document));
}
