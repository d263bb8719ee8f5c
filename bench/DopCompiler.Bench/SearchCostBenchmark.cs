using System.Diagnostics;
using DopCompiler.Search;

namespace DopCompiler.Bench;

/// <summary>Issue 4's search-cost benchmark: layer evaluations and wall time with and without prefix reuse, and a cached re-solve.</summary>
public static class SearchCostBenchmark
{
    public static void Run(Options options)
    {
        var spec = BenchSpec.Load(options);
        var cache = Path.Combine(Path.GetTempPath(), "dop-bench-cache", Guid.NewGuid().ToString("N"));
        var withReuse = DopSearch.Run(spec, new SearchOptions { CacheFolder = cache, UseCache = false, ReusePrefix = true }, new SilentProgress());
        var without = DopSearch.Run(spec, new SearchOptions { CacheFolder = cache, UseCache = false, ReusePrefix = false }, new SilentProgress());
        var stopwatch = Stopwatch.StartNew();
        var resolve = DopSearch.Run(spec, new SearchOptions { CacheFolder = cache, Budget = spec.Budget.Value * 0.5 }, new SilentProgress());
        var resolveSeconds = stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"search cost on {spec.SourcePath} ({withReuse.Document.Model.NumLayers} layers, {withReuse.Document.Divergence.Samples} samples, {withReuse.Document.Curves.Count} curves)");
        Console.WriteLine($"  {"",-22}{"validation runs",16}{"layer evals",14}{"wall s",9}");
        Console.WriteLine($"  {"with prefix reuse",-22}{withReuse.Statistics.ValidationRuns,16}{withReuse.Statistics.LayerEvaluations,14}{withReuse.Statistics.Elapsed.TotalSeconds,9:0.0}");
        Console.WriteLine($"  {"re-running from layer 0",-22}{without.Statistics.ValidationRuns,16}{without.Statistics.LayerEvaluations,14}{without.Statistics.Elapsed.TotalSeconds,9:0.0}");
        Console.WriteLine($"  ratio (goal <= 0.6):   layer evaluations {(double)withReuse.Statistics.LayerEvaluations / without.Statistics.LayerEvaluations:0.000}, wall time {withReuse.Statistics.Elapsed / without.Statistics.Elapsed:0.000}");
        Console.WriteLine($"  cached re-solve at budget {spec.Budget.Value * 0.5}: {resolveSeconds:0.00} s in process, {resolve.Statistics.ValidationRuns} validation runs (cache hit: {resolve.CacheHit})");
        Directory.Delete(cache, recursive: true);
    }
}
