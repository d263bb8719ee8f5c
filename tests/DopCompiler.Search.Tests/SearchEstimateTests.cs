using DopCompiler.Model;
using DopCompiler.Search.Curves;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

public sealed class SearchEstimateTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-search-estimate", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void PassesCountEachCurvePointByTheLayersItReruns()
    {
        // 4 layers, step 1: depths 1..4 re-run 1/4..4/4 of the layers with prefix reuse (2.5 passes per curve), 4 without.
        var reuse = SearchEstimate.Of(4, 1, parameters: 2, reusePrefix: true, tokenCounts: 3, randomPolicies: 5, TimeSpan.FromSeconds(10));
        var plain = SearchEstimate.Of(4, 1, parameters: 2, reusePrefix: false, tokenCounts: 3, randomPolicies: 5, TimeSpan.FromSeconds(10));
        Assert.Equal((2 * 2.5) + 3 + 1 + 5, reuse.Passes, 9);
        Assert.Equal((2 * 4.0) + 3 + 1 + 5, plain.Passes, 9);
        Assert.Equal(TimeSpan.FromSeconds(140), reuse.Total);
        // A coarser grid measures fewer depths.
        Assert.True(SearchEstimate.Of(8, 4, 2, true, 0, 0, TimeSpan.FromSeconds(1)).Passes < SearchEstimate.Of(8, 1, 2, true, 0, 0, TimeSpan.FromSeconds(1)).Passes);
    }

    [Fact]
    public void ASearchOverMaxSearchMinutesStopsBeforeTheCurvesWithDOP047()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.9, extraYaml: "max_search_minutes: 0.000001\n")).GetValueOrThrow();
        Assert.Equal(0.000001, spec.MaxSearchMinutes);
        var progress = new RecordingProgress();
        var error = Assert.Throws<DopException>(() => DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, progress));
        Assert.Equal("DOP047", error.Code);
        Assert.Contains("max_search_minutes", error.Message);
        Assert.Contains(progress.Lines, l => l.StartsWith("estimated search time", StringComparison.Ordinal));
        Assert.DoesNotContain(progress.Lines, l => l.StartsWith("curve", StringComparison.Ordinal));
    }

    private sealed class RecordingProgress : ISearchProgress
    {
        public List<string> Lines { get; } = [];

        public void Info(string message) => Lines.Add(message);

        public void Step(string phase, int done, int total) => Lines.Add(phase);

        public void Warning(string code, string message) => Lines.Add(code + ": " + message);
    }
}
