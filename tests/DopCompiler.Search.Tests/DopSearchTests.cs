using DopCompiler.Policy;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

public sealed class DopSearchTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-search-run", Guid.NewGuid().ToString("N"));

    [Fact]
    public void FirstAnswerReferenceRunCountsOnePassOverTheLayersPerSample()
    {
        // The reference run at the first answer position is one prefill per sample (no greedy decoding); counting
        // a decode pass there too inflated both sides of the prefix-reuse ratio.
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 3, budget: 0.9, divergence: "positions: first_answer")).GetValueOrThrow();
        var validation = ValidationSetReader.Read(spec.Validation).GetValueOrThrow();
        var statistics = new SearchStatistics();
        using var context = SearchContext.Prepare(spec, validation.Samples, new SilentProgress(), statistics);

        Assert.Equal(3L * context.Layers, statistics.LayerEvaluations);
        Assert.Equal(1, statistics.ValidationRuns);
    }

    [Fact]
    public void CacheHitMeansZeroValidationRunsAndANewBudgetResolvesFromIt()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 3, budget: 0.9)).GetValueOrThrow();
        var options = new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") };

        var cold = DopSearch.Run(spec, options, new SilentProgress());
        Assert.False(cold.CacheHit);
        Assert.True(cold.Statistics.ValidationRuns > 1);
        Assert.True(cold.Document.Divergence.MeasuredKl >= 0);

        var warm = DopSearch.Run(spec, options, new SilentProgress());
        Assert.True(warm.CacheHit);
        Assert.Equal(0, warm.Statistics.ValidationRuns);
        Assert.Equal(0, warm.Statistics.LayerEvaluations);
        Assert.Equal(PolicySchema.Serialize(Without(cold.Document)), PolicySchema.Serialize(Without(warm.Document)));

        var tighter = DopSearch.Run(spec, options with { Budget = 0.75 }, new SilentProgress());
        Assert.True(tighter.CacheHit);
        Assert.Equal(0, tighter.Statistics.ValidationRuns);
        Assert.True(tighter.Document.Budget.FlopsFraction <= 0.75 + 1e-9);
        Assert.True(tighter.Document.Divergence.PredictedKl >= cold.Document.Divergence.PredictedKl);
        Assert.NotEqual(cold.Document.SpecHash, tighter.Document.SpecHash);
    }

    [Fact]
    public void PolicyDocumentIsDeterministicAndReadsBack()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.85)).GetValueOrThrow();
        var outcome = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress());
        var bytes = PolicySchema.Serialize(outcome.Document);
        var parsed = PolicySchema.TryParse(bytes, out var error);
        Assert.Null(error);
        Assert.Equal(bytes, PolicySchema.Serialize(parsed!));
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain(_folder, text); // no absolute paths: the policy must not depend on the clone's location
        Assert.Equal(outcome.Document.Model.NumLayers, parsed!.Layers.Count);
        // Keys come out sorted, so a re-run diff is confined to values.
        var keys = System.Text.RegularExpressions.Regex.Matches(text.Split("\"budget\"")[0], "^  \"([a-z_]+)\"", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
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

    /// <summary>The document without the measured KL (a cache hit does not re-measure).</summary>
    private static PolicyDocument Without(PolicyDocument document)
    {
        var copy = PolicySchema.TryParse(PolicySchema.Serialize(document), out _)!;
        copy.Divergence.MeasuredKl = -1;
        return copy;
    }
}
