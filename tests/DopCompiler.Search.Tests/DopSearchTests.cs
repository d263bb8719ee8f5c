using DopCompiler.Policy;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Document;
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
    public void ThePolicyIsByteIdenticalWhateverTheCurveCacheHolds()
    {
        // Issue 22 item 3: a cold cache measured the KL and a warm one wrote -1, so two machines (or configurations)
        // generated different classes from the same inputs.
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.8)).GetValueOrThrow();
        var options = new SearchOptions { CacheFolder = Path.Combine(_folder, "cache"), MeasureOnCacheHit = true };

        var coldOutcome = DopSearch.Run(spec, options, new SilentProgress());
        var cold = PolicySchema.Serialize(coldOutcome.Document);
        Assert.False(coldOutcome.CacheHit);
        Assert.True(coldOutcome.Document.Divergence.MeasuredKl >= 0);

        // Warm, the measurement stored with the curves: same bytes and no validation run at all.
        var warmOutcome = DopSearch.Run(spec, options, new SilentProgress());
        Assert.True(warmOutcome.CacheHit);
        Assert.Equal(0, warmOutcome.Statistics.ValidationRuns);
        Assert.Equal(cold, PolicySchema.Serialize(warmOutcome.Document));

        // Warm curves from a cache written before measurements were stored: the search measures again, same bytes.
        var cache = new CurveCache(options.CacheFolder);
        var key = SearchInputs.Of(spec, ValidationSetReader.Read(spec.Validation).GetValueOrThrow(), 0.8).CurveKey;
        cache.Write(cache.TryRead(key)! with { MeasuredKl = null });
        var remeasured = DopSearch.Run(spec, options, new SilentProgress());
        Assert.True(remeasured.CacheHit);
        Assert.True(remeasured.Statistics.ValidationRuns > 0);
        Assert.Equal(cold, PolicySchema.Serialize(remeasured.Document));
        Assert.NotNull(cache.TryRead(key)!.MeasuredKl);
    }

    [Fact]
    public void ImageTokenCountIsSearchedAndStatedAsADroppedSplitWhenChosen()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "plain"));
        Directory.CreateDirectory(Path.Combine(_folder, "nv"));
        var plainSpec = DopSpecParser.Parse(TinySearchProject.Write(Path.Combine(_folder, "plain"), samples: 3, budget: 0.85)).GetValueOrThrow();
        var nvSpec = DopSpecParser.Parse(TinySearchProject.Write(Path.Combine(_folder, "nv"), samples: 3, budget: 0.85, extraYaml: "grid:\n  n_v: [4, 8]\n")).GetValueOrThrow();
        var options = new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") };

        var plain = DopSearch.Run(plainSpec, options, new SilentProgress()).Document;
        var nv = DopSearch.Run(nvSpec, options, new SilentProgress()).Document;

        // One more parameter can only lower the optimum of the same (additive) objective under the same budget.
        Assert.True(nv.Divergence.PredictedKl <= plain.Divergence.PredictedKl + 1e-12);
        Assert.True(nv.Budget.FlopsFraction <= 0.85 + 1e-9, $"FLOPs fraction {nv.Budget.FlopsFraction} plain {plain.Budget.FlopsFraction} groups {string.Join(",", nv.Groups.Select(g => g.Name + ":" + g.MeanTokens))} depths {string.Join(",", nv.Depths.Select(d => d.Module + "/" + d.Group + "=" + d.Depth))} kl {nv.Divergence.PredictedKl} vs {plain.Divergence.PredictedKl}");
        Assert.True(plain.Budget.FlopsFraction <= 0.85 + 1e-9, $"FLOPs fraction {plain.Budget.FlopsFraction}");
        Assert.NotNull(nv.Curves);

        // Make keeping 4 tokens free in the cached n_v curve: the solver must then take n_v = 4, and the document
        // must state it as a split whose rest is pruned everywhere (dropped before layer 0), with a measured KL.
        var cache = new CurveCache(options.CacheFolder);
        var key = SearchInputs.Of(nvSpec, ValidationSetReader.Read(nvSpec.Validation).GetValueOrThrow(), 0.85).CurveKey;
        var entry = cache.TryRead(key)!;
        Assert.Equal([4, 8], entry.TokenCounts!.Counts);
        Assert.All(entry.TokenCounts.Kl, kl => Assert.True(kl > 0));
        cache.Write(entry with { TokenCounts = entry.TokenCounts with { Kl = [0, 0] } });
        var forced = DopSearch.Run(nvSpec, options with { MeasureOnCacheHit = true }, new SilentProgress()).Document;

        var imageKey = forced.Groups.Single(g => g.Name == "image_key");
        Assert.Equal(4 / 16.0, imageKey.ImageFraction, 12);
        Assert.Equal(4, imageKey.MeanTokens, 9);
        Assert.Equal(12 / 16.0, forced.Groups.Single(g => g.Name == "image_rest").ImageFraction, 12);
        Assert.All(forced.Depths.Where(d => d.Group == "image_rest"), d => Assert.Equal(forced.Model.NumLayers, d.Depth));
        Assert.Contains("image_rest", forced.Layers[0].Dropped);
        Assert.DoesNotContain(forced.Curves, c => c.Group == "image");
        Assert.Contains(forced.Curves, c => c.Group == "image_key");
        Assert.True(forced.Divergence.MeasuredKl > 0);
        Assert.True(forced.Budget.FlopsFraction <= 0.85 + 1e-9);
        Assert.True(forced.Divergence.PredictedKl <= nv.Divergence.PredictedKl + 1e-12);

        // The file records D(n_v) of the whole grid for the report (none without a grid), and the report's frontier,
        // re-solved from the file alone, has the search's choice as a point of its count's line.
        Assert.Null(plain.TokenCounts);
        Assert.Equal([4, 8], nv.TokenCounts!.Counts);
        Assert.Equal(entry.TokenCounts.Kl, nv.TokenCounts.Kl);
        var frontier = PolicyFrontier.Of(forced);
        Assert.Equal([4, 8, 16], frontier.Lines.Select(l => l.KeptImageTokens));
        var line = frontier.Lines[0];
        Assert.Equal(forced.Divergence.PredictedKl, line.Points.Last(p => p.FlopsFraction <= forced.Budget.FlopsFraction + 1e-9).PredictedKl, 9);
        Assert.True(frontier.Envelope[0].FlopsFraction <= forced.Budget.FlopsFraction + 1e-9);
    }

    [Fact]
    public void SpreadRankingTravelsFromTheSpecIntoTheSplitPolicy()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.9,
            extraYaml: "groups:\n  - source: image\n    cls_split: {key_fraction: 0.25}\n    ranking: spread\n")).GetValueOrThrow();
        var document = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()).Document;

        Assert.Equal(2, document.SchemaVersion);
        Assert.Equal(["spread", "spread"], document.Groups.Where(g => g.Source is "image_key" or "image_rest").Select(g => g.Ranking));
        Assert.All(document.Groups.Where(g => g.Source is "system" or "text"), g => Assert.Null(g.Ranking));
        // Readers (dop eval, the benchmarks) take the order from the file.
        Assert.Equal(["cls", "spread", "spread", "cls"], GroupDefinition.Of(document).Select(g => g.Ranking));
        var reread = PolicySchema.TryParse(PolicySchema.Serialize(document), out var error);
        Assert.Null(error);
        Assert.Equal("spread", reread!.Groups.Single(g => g.Name == "image_key").Ranking);
    }

    [Fact]
    public void ImageTokenCountAtOrAboveTheModelsImageTokensIsAnError()
    {
        Directory.CreateDirectory(_folder);
        var spec = DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 2, budget: 0.5, extraYaml: "grid:\n  n_v: [4, 16]\n")).GetValueOrThrow();
        var error = Assert.Throws<Model.DopException>(() => DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache") }, new SilentProgress()));
        Assert.Equal("DOP045", error.Code);
        Assert.Contains("16", error.Message);
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
        // A second search from scratch (its own cache, curves measured again) writes the same bytes.
        var again = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "cache-2"), UseCache = false }, new SilentProgress());
        Assert.False(again.CacheHit);
        var bytes = PolicySchema.Serialize(outcome.Document);
        Assert.Equal(bytes, PolicySchema.Serialize(again.Document));

        var parsed = PolicySchema.TryParse(bytes, out var error);
        Assert.Null(error);
        Assert.Equal(bytes, PolicySchema.Serialize(parsed!));
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain(_folder, text); // no absolute paths: the policy must not depend on the clone's location
        Assert.Equal(outcome.Document.Model.NumLayers, parsed!.Layers.Count);
        // Top-level keys come out sorted, so a re-run diff is confined to values.
        var keys = System.Text.RegularExpressions.Regex.Matches(text, "^  \"([a-z_]+)\":", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Contains("budget", keys);
        Assert.Contains("schema_version", keys);
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
