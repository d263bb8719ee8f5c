extern alias generator;

using System.Text;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator.Tests;

/// <summary>The checked-in policies and generated classes are exactly what the current code produces.</summary>
public sealed class GoldenTests
{
    public static TheoryData<string> PolicyFiles() => new(TestPolicies.All().Select(p => p.FileName));

    [Theory]
    [MemberData(nameof(PolicyFiles))]
    public void CheckedInPoliciesAreWhatTheSearchFactoryWrites(string fileName)
    {
        var document = TestPolicies.All().Single(p => p.FileName == fileName).Document;
        TestData.AssertMatches(fileName, TestPolicies.Serialize(document));
    }

    [Theory]
    [InlineData("tiny-a.policy.json", "TinyDopA")]
    [InlineData("tiny-split.policy.json", "TinyDopSplit")]
    [InlineData("tiny-spread.policy.json", "TinyDopSpread")]
    [InlineData("tiny-variants.policy.json", "TinyDopVariants")]
    public void GeneratedClassMatchesGoldenFile(string policyFile, string className)
    {
        var (result, output, _) = GeneratorHarness.Run([PolicyItem.For(policyFile, TestData.PolicyText(policyFile), className)]);
        Assert.Empty(result.Diagnostics);
        TestData.AssertMatches($"Expected/{className}.g.cs", WithoutVersion(GeneratorHarness.Source(result, $"MyApp.Models.{className}.g.cs")));
        TestData.AssertMatches("Expected/DopCompiler.Bootstrap.g.cs", WithoutVersion(GeneratorHarness.Source(result, "DopCompiler.Bootstrap.g.cs")));
        // The generated code compiles against the runtime without a warning.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void ABudgetChangeTouchesOnlyTheChangedLayersAndTheHeader()
    {
        var (a, b) = (TestPolicies.A(), TestPolicies.B());
        var blocksA = Blocks(Generate("tiny-a.policy.json"));
        var blocksB = Blocks(Generate("tiny-b.policy.json"));
        Assert.Equal(blocksA.Keys, blocksB.Keys);

        // Between the header and the first layer (groups, shape, Load, RunLayers) nothing moves.
        Assert.Equal(blocksA["body"], blocksB["body"]);
        Assert.NotEqual(blocksA["header"], blocksB["header"]);
        var changedLayers = 0;
        for (var l = 0; l < a.Layers.Count; l++)
        {
            var same = a.Layers[l].Attention.SequenceEqual(b.Layers[l].Attention) && a.Layers[l].Mlp.SequenceEqual(b.Layers[l].Mlp)
                && a.Layers[l].Dropped.SequenceEqual(b.Layers[l].Dropped);
            Assert.Equal(same, blocksA[$"layer {l}"] == blocksB[$"layer {l}"]);
            changedLayers += same ? 0 : 1;
        }

        Assert.InRange(changedLayers, 1, a.Layers.Count - 1);
    }

    /// <summary>The generator's own version (packing tests build it with pre-release versions) is not part of the golden text.</summary>
    private static byte[] WithoutVersion(string source) => Encoding.UTF8.GetBytes(source.Replace(
        "(\"DopCompiler.Generator\", \"" + GeneratorVersion + "\")", "(\"DopCompiler.Generator\", \"<version>\")", StringComparison.Ordinal));

    private static string GeneratorVersion =>
        (typeof(generator::DopCompiler.Generator.DopPolicyGenerator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    private static string Generate(string file) => GeneratorHarness.Source(
        GeneratorHarness.Run([PolicyItem.For(file, TestData.PolicyText(file))]).Result, "MyApp.Models.TinyDop.g.cs");

    /// <summary>header (banner, docs, constants) | body (groups .. RunLayers) | layer 0 | layer 1 ...</summary>
    private static Dictionary<string, string> Blocks(string source)
    {
        var lines = source.Split('\n');
        var blocks = new Dictionary<string, string>();
        var current = "header";
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            var trimmed = line.TrimStart();
            var next = trimmed.StartsWith("/// <summary>The prompt's token groups", StringComparison.Ordinal) ? "body"
                : trimmed.StartsWith("// layer ", StringComparison.Ordinal) ? trimmed[3..trimmed.IndexOf(':', StringComparison.Ordinal)]
                : null;
            if (next is not null)
            {
                blocks[current] = text.ToString();
                text.Clear();
                current = next;
            }

            text.Append(line).Append('\n');
        }

        blocks[current] = text.ToString();
        return blocks;
    }
}
