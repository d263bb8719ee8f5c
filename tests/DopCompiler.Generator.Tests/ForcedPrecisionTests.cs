using System.Text;
using DopCompiler.Model.Modules;
using DopCompiler.Policy;
using DopCompiler.Runtime;
using DopCompiler.Search;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// A spec's forced <c>precision:</c> travels search → policy (<c>precision</c>, schema 4) → generated class, which then
/// computes in it whatever this machine's probe would choose (fp32 and bf16 are both forced, so one of them always
/// differs from the probe's choice); <c>auto</c> writes no field and no line, as before.
/// </summary>
public sealed class ForcedPrecisionTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-forced-precision-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("fp32", ComputePrecision.Fp32)]
    [InlineData("bf16", ComputePrecision.Bf16)]
    public void AForcedPrecisionReachesTheGeneratedClass(string precision, ComputePrecision expected)
    {
        var (document, source, generated) = SearchAndCompile($"precision: {precision}\n");
        using (generated)
        {
            Assert.Equal(precision, document.Precision);
            Assert.Equal(4, document.SchemaVersion);
            Assert.Null(document.Warnings); // no DOP044 any more
            Assert.Contains($"Precision = \"{precision}\",", source);
            // DOP_PRECISION in the process overrides the spec (docs/spec.md); the test process does not set it.
            var overridden = PrecisionProbe.TryParse(Environment.GetEnvironmentVariable(PrecisionProbe.OverrideVariable), out var forced) && forced is not null;
            Assert.Equal(overridden ? forced : expected, generated.Precision);
        }
    }

    [Fact]
    public void AutoWritesNoPrecisionAndTheClassFollowsTheProbe()
    {
        var (document, source, generated) = SearchAndCompile(null);
        using (generated)
        {
            Assert.Null(document.Precision);
            Assert.Equal(1, document.SchemaVersion);
            Assert.DoesNotContain("\"precision\"", Encoding.UTF8.GetString(PolicySchema.Serialize(document)));
            Assert.DoesNotContain("Precision =", source);
            Assert.Equal(PrecisionProbe.Resolve(PrecisionProbe.TryParse(Environment.GetEnvironmentVariable(PrecisionProbe.OverrideVariable), out var forced) ? forced : null).Precision,
                generated.Precision);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A search on a tiny project, the generator on its policy, the class compiled and loaded on the project's model.</summary>
    private (PolicyDocument Document, string Source, DopCompiledModel Generated) SearchAndCompile(string? extraYaml)
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.9, extraYaml: extraYaml)).GetValueOrThrow();
        var document = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()).Document;
        var (generated, source) = GeneratedClassLoader.Load(document, "PrecisionDop", "Precision.Models", spec.Model);
        return (document, source, generated);
    }
}
