using DopCompiler.Policy;
using DopCompiler.Search.Document;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary><c>budgets:</c>: one search, each budget solved as if it were the spec's only one, one file with a variant per budget.</summary>
public sealed class VariantSearchTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-variant-search", Guid.NewGuid().ToString("N"));

    public VariantSearchTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public void EachBudgetGetsTheSingleBudgetPolicyFromOneSearch()
    {
        var options = new SearchOptions { CacheFolder = Path.Combine(_folder, "cache"), MeasureOnCacheHit = true };
        var specPath = TinySearchProject.Write(Path.Combine(_folder, "p"), samples: 3, budget: 0.8);
        var combined = DopSearch.Run(WithBudgets(specPath, "  fast: {fraction: 0.8}\n  exact: {fraction: 0.95}\n"), options, new SilentProgress());
        Assert.False(combined.CacheHit);
        var document = combined.Document;
        Assert.Equal(3, document.SchemaVersion);
        Assert.Equal(["fast", "exact"], document.Variants!.Select(v => v.Name));

        // The single-budget searches find the curves cached: the variants' search measured them once for both budgets.
        foreach (var (variant, budget) in document.Variants!.Zip([0.8, 0.95]))
        {
            var single = DopSearch.Run(DopSpecParser.Parse(TinySearchProject.Write(Path.Combine(_folder, "s" + budget), samples: 3, budget: budget)).GetValueOrThrow(),
                options, new SilentProgress());
            Assert.True(single.CacheHit);
            var expected = single.Document;
            Assert.Null(expected.Variants);
            Assert.Equal(Depths(expected.Depths), Depths(variant.Depths));
            Assert.Equal((expected.Budget.Kind, expected.Budget.Asked, expected.Budget.Reached, expected.Budget.FlopsFraction),
                (variant.Budget.Kind, variant.Budget.Asked, variant.Budget.Reached, variant.Budget.FlopsFraction));
            Assert.Equal((expected.Divergence.PredictedKl, expected.Divergence.MeasuredKl), (variant.Divergence.PredictedKl, variant.Divergence.MeasuredKl));
            Assert.Equal(expected.Flops.Pruned, variant.Flops.Pruned);
            Assert.True(variant.Divergence.MeasuredKl >= 0);
        }

        // The document's own sections are the first (default) variant's; the budgets differ, so do the policies.
        Assert.Equal(Depths(document.Variants![0].Depths), Depths(document.Depths));
        Assert.NotEqual(Depths(document.Variants[0].Depths), Depths(document.Variants[1].Depths));

        // The strict reader takes the file, and each variant reads back as its own one-policy document.
        var path = Path.Combine(_folder, "v.policy.json");
        PolicySchema.WriteAtomically(path, document);
        var read = PolicyFileReader.Read(path);
        Assert.Equal(Depths(document.Variants[1].Depths), Depths(read.VariantDocument("exact")!.Depths));
        Assert.Null(read.VariantDocument("missing"));
    }

    [Fact]
    public void WithAnImageTokenGridLaterBudgetsKeepTheFirstBudgetsCount()
    {
        var options = new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") };
        var specPath = TinySearchProject.Write(Path.Combine(_folder, "nv"), samples: 3, budget: 0.8, extraYaml: "grid:\n  n_v: [4, 8]\n");
        var spec = WithBudgets(specPath, "  fast: {fraction: 0.8}\n  exact: {fraction: 0.95}\n");
        var document = DopSearch.Run(spec, options, new SilentProgress()).Document;
        var single = DopSearch.Run(spec with { Budgets = null }, options, new SilentProgress()).Document;

        // The class has one prompt layout: the first budget's (the single-budget search at that budget chose the same).
        Assert.Equal(single.Groups.Select(g => (g.Name, g.ImageFraction)), document.Groups.Select(g => (g.Name, g.ImageFraction)));
        Assert.Equal(Depths(single.Depths), Depths(document.Variants![0].Depths));
        Assert.True(document.Variants[1].Budget.FlopsFraction <= 0.95 + 1e-9);
        Assert.True(document.Variants[1].Divergence.PredictedKl <= document.Variants[0].Divergence.PredictedKl + 1e-12);
    }

    [Fact]
    public void TheCommandLineOverridesANamedBudgetAndRefusesABareValue()
    {
        var specPath = TinySearchProject.Write(_folder, samples: 2, budget: 0.8);
        File.WriteAllText(specPath, File.ReadAllText(specPath).Replace("budget:\n  fraction: 0.8\n", "budgets:\n  fast: {fraction: 0.8}\n  exact: {fraction: 0.9}\n", StringComparison.Ordinal));
        var cache = Path.Combine(_folder, "cache");
        var policy = Path.Combine(_folder, "out.policy.json");

        var (code, error) = Dop("search", specPath, "--cache-dir", cache, "--out", policy, "--budget", "0.9");
        Assert.Equal(1, code);
        Assert.Contains("error DOP043", error, StringComparison.Ordinal);
        Assert.Contains("--budget fast=0.9", error, StringComparison.Ordinal);
        Assert.False(File.Exists(policy));

        (code, error) = Dop("search", specPath, "--cache-dir", cache, "--out", policy, "--budget", "exact=0.95");
        Assert.True(code == 0, error);
        Assert.Contains("variant 'exact': fraction 0.95 asked", error, StringComparison.Ordinal);
        var document = PolicyFileReader.Read(policy);
        Assert.Equal([0.8, 0.95], document.Variants!.Select(v => v.Budget.Asked));

        // eval reads a variant of the file (the default: the first), and names the variants when asked for another.
        var model = Path.Combine(_folder, "model");
        var data = Path.Combine(_folder, "data", "val.jsonl");
        (code, error) = Dop("eval", "--model", model, "--data", data, "--policy", policy, "--variant", "exact", "--limit", "1");
        Assert.True(code == 0, error);
        (code, error) = Dop("eval", "--model", model, "--data", data, "--policy", policy, "--variant", "slow", "--limit", "1");
        Assert.Equal(1, code);
        Assert.Contains("error DOP043", error, StringComparison.Ordinal);
        Assert.Contains("(fast, exact)", error, StringComparison.Ordinal);

        (code, error) = Dop("search", specPath, "--cache-dir", cache, "--out", policy, "--budget", "fastest=0.5");
        Assert.Equal(1, code);
        Assert.Contains("not one of the spec's budgets (fast, exact)", error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static DopSpec WithBudgets(string specPath, string budgets)
    {
        var text = File.ReadAllText(specPath);
        var start = text.IndexOf("budget:\n", StringComparison.Ordinal);
        var end = text.IndexOf('\n', text.IndexOf("fraction:", start, StringComparison.Ordinal)) + 1;
        File.WriteAllText(specPath, text[..start] + "budgets:\n" + budgets + text[end..]);
        return DopSpecParser.Parse(specPath).GetValueOrThrow();
    }

    private static string Depths(List<PolicyDepth> depths) => string.Join(" ", depths.Select(d => $"{d.Module}/{d.Group}={d.Depth}"));

    /// <summary>The tool's exit code and everything it printed (both streams).</summary>
    private static (int Code, string Error) Dop(params string[] args)
    {
        var (code, output, error) = CliTests.Dop(args);
        return (code, output + error);
    }
}
