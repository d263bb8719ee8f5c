using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>Quality targets through the whole search on the tiny random-weight fixture.</summary>
public sealed class QualityTargetSearchTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-quality-run", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private DopSpec Spec(string budgetLine)
    {
        Directory.CreateDirectory(_folder);
        var path = TinySearchProject.Write(_folder, samples: 3);
        File.WriteAllText(path, File.ReadAllText(path).Replace("  fraction: 0.5", "  " + budgetLine, StringComparison.Ordinal));
        return DopSpecParser.Parse(path).GetValueOrThrow();
    }

    [Fact]
    public void MaxKlChoosesAMeasuredPolicyWithinTheTargetMeasuringFewerCandidatesThanTheFrontier()
    {
        var spec = Spec("max_kl: 0.05");
        var outcome = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress());
        var quality = outcome.Document.Quality!;
        Assert.Equal("max_kl", quality.Kind);
        Assert.Equal("max_kl", outcome.Document.Budget.Kind);
        Assert.True(quality.Measured <= 0.05 + 1e-12);
        Assert.Equal(quality.Measured, outcome.Document.Budget.Reached);
        Assert.True(quality.CandidatesMeasured < quality.FrontierSize, $"{quality.CandidatesMeasured} of {quality.FrontierSize}");
        Assert.Equal(quality.CandidatesMeasured, quality.Candidates.Count);
        Assert.Equal(3, quality.Samples);
        // Bisection: every measured candidate cheaper than the chosen one missed, every dearer one met.
        Assert.All(quality.Candidates, c => Assert.Equal(c.Position >= quality.FrontierPosition, c.Meets));
        if (quality.FrontierPosition < quality.FrontierSize - 1)
        {
            // The walk and the final check measure the same policy on the same samples.
            Assert.Equal(quality.Measured, outcome.Document.Divergence.MeasuredKl, 9);
        }
    }

    [Fact]
    public void MaxAccuracyDropWhenEveryPolicyAnswersAsTheUnprunedModelIsTheCheapestFrontierPolicy()
    {
        // Random weights never answer "x": unpruned and every pruned policy score 0, so every drop is 0 and the cheapest meets.
        var spec = Spec("max_accuracy_drop: 0");
        var outcome = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress());
        var quality = outcome.Document.Quality!;
        Assert.Equal(0, quality.UnprunedAccuracy);
        Assert.Equal(0, quality.FrontierPosition);
        Assert.All(quality.Candidates, c => Assert.Equal(0, c.Measured));
        Assert.True(quality.CandidatesMeasured < quality.FrontierSize);
        Assert.Equal(quality.Candidates.Min(c => c.FlopsFraction), outcome.Document.Budget.FlopsFraction, 6);
    }
}
