using DopCompiler.Model;
using DopCompiler.Policy;
using DopCompiler.Search.Curves;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>Issue 18 item 4: the curve points spread over CI jobs (<c>--shard i/n</c>), merged, give the whole search's policy.</summary>
public sealed class ShardedSearchTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-shard-tests", Guid.NewGuid().ToString("N"));

    public ShardedSearchTests() => Directory.CreateDirectory(_folder);

    private string Shards => Path.Combine(_folder, "shards");

    [Fact]
    public void ThreeShardsMergedGiveTheUnshardedPolicyByteForByte()
    {
        // The n_v grid makes token-count points part of the split too.
        var spec = WriteSpec();
        var whole = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "whole"), MeasureOnCacheHit = true }, new SilentProgress());
        Assert.False(whole.CacheHit);
        var expected = PolicySchema.Serialize(whole.Document);

        var outcomes = MeasureShards(spec, 3);
        Assert.All(outcomes, o => Assert.False(o.Reused));
        // Disjoint and complete: every point of the plan in exactly one shard.
        var points = outcomes.SelectMany(o => CurveCache.TryReadFile(o.Path)!.Points!.Select(p => p.ToId())).ToList();
        Assert.Equal(outcomes[0].TotalPoints, points.Count);
        Assert.Equal(points.Count, points.Distinct().Count());
        Assert.Contains(points, p => p.IsTokenCount);
        Assert.All(outcomes, o => Assert.InRange(o.Points, (o.TotalPoints / 3) - 1, (o.TotalPoints / 3) + 1));

        // The final job: the plain search reading the shards (artifacts downloaded into one folder, one subfolder each).
        var merged = DopSearch.Run(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "merged"), ShardFolders = [Shards], MeasureOnCacheHit = true },
            new SilentProgress());
        Assert.True(merged.CacheHit);
        // No curve point: the reference run and the chosen policy's measured joint KL only (the same check the whole search ends with).
        Assert.Equal(2, merged.Statistics.ValidationRuns);
        Assert.Equal(expected, PolicySchema.Serialize(merged.Document));

        // dop merge into a cache, then the plain search on that cache: the same bytes again.
        var mergedCache = Path.Combine(_folder, "merge-command");
        var written = DopSearch.MergeShards(spec, new SearchOptions { CacheFolder = mergedCache }, [Path.Combine(Shards, "1"), Path.Combine(Shards, "2"), Path.Combine(Shards, "3")],
            new SilentProgress());
        Assert.True(File.Exists(written));
        var fromCache = DopSearch.Run(spec, new SearchOptions { CacheFolder = mergedCache, MeasureOnCacheHit = true }, new SilentProgress());
        Assert.True(fromCache.CacheHit);
        Assert.Equal(expected, PolicySchema.Serialize(fromCache.Document));

        // A re-run shard job whose folder already holds its shard measures nothing.
        var again = DopSearch.RunShard(spec, new SearchOptions { CacheFolder = Path.Combine(Shards, "2") }, new CurveShard(2, 3), new SilentProgress());
        Assert.True(again.Reused);
    }

    [Fact]
    public void MissingOverlappingForeignAndDamagedShardsAreCodedErrors()
    {
        var spec = WriteSpec();
        var outcomes = MeasureShards(spec, 3);
        var mergedCache = Path.Combine(_folder, "merged");

        string Merge(params string[] folders) =>
            Assert.Throws<DopException>(() => DopSearch.MergeShards(spec, new SearchOptions { CacheFolder = mergedCache }, folders, new SilentProgress())).Code;

        // A missing shard (a job that failed or did not upload), an empty or absent folder.
        Assert.Equal(DiagnosticCodes.ShardMissing, Merge(Path.Combine(Shards, "1"), Path.Combine(Shards, "2")));
        Directory.CreateDirectory(Path.Combine(_folder, "empty"));
        Assert.Equal(DiagnosticCodes.ShardMissing, Merge(Path.Combine(_folder, "empty")));
        Assert.Equal(DiagnosticCodes.ShardMissing, Merge(Path.Combine(_folder, "absent")));

        // The same shard twice (a re-run job uploaded beside the first).
        var copy = Path.Combine(_folder, "copy");
        Directory.CreateDirectory(copy);
        File.Copy(outcomes[0].Path, Path.Combine(copy, Path.GetFileName(outcomes[0].Path)));
        Assert.Equal(DiagnosticCodes.ShardOverlap, Merge(Shards, copy));

        // A shard of another split (1/2 beside the x/3 shards).
        var entry = CurveCache.TryReadFile(outcomes[0].Path)!;
        var otherSplit = new CurveCache(Path.Combine(_folder, "other-split"));
        otherSplit.WriteShard(entry with { Shard = new CurveShard(1, 2) });
        Assert.Equal(DiagnosticCodes.ShardOverlap, Merge(Shards, otherSplit.Folder));

        // A point moved into the wrong shard, and a shard that lacks one of its points.
        var second = CurveCache.TryReadFile(outcomes[1].Path)!;
        var moved = new CurveCache(Path.Combine(_folder, "moved"));
        moved.WriteShard(entry with { Points = [.. entry.Points!, second.Points![0]] });
        moved.WriteShard(second with { Points = second.Points.Skip(1).ToList() });
        File.Copy(outcomes[2].Path, Path.Combine(moved.Folder, Path.GetFileName(outcomes[2].Path)));
        Assert.Equal(DiagnosticCodes.ShardOverlap, Merge(moved.Folder));
        var lacking = new CurveCache(Path.Combine(_folder, "lacking"));
        lacking.WriteShard(entry);
        lacking.WriteShard(second with { Points = second.Points.Skip(1).ToList() });
        File.Copy(outcomes[2].Path, Path.Combine(lacking.Folder, Path.GetFileName(outcomes[2].Path)));
        Assert.Equal(DiagnosticCodes.ShardMissing, Merge(lacking.Folder));

        // Shards measured for another spec (here: another grid step, so other curve points): the inputs hash differs.
        var otherSpecPath = Path.Combine(_folder, "other.yaml");
        File.WriteAllText(otherSpecPath, File.ReadAllText(spec.SourcePath).Replace("  n_v: [4, 8]", "  step: 2\n  n_v: [4, 8]", StringComparison.Ordinal));
        var otherSpec = DopSpecParser.Parse(otherSpecPath).GetValueOrThrow();
        var foreign = Assert.Throws<DopException>(() =>
            DopSearch.Run(otherSpec, new SearchOptions { CacheFolder = mergedCache, ShardFolders = [Shards] }, new SilentProgress()));
        Assert.Equal(DiagnosticCodes.ShardMismatch, foreign.Code);
        Assert.Contains("re-run the shards with this spec", foreign.Message);

        // A damaged shard file.
        var damaged = Path.Combine(_folder, "damaged");
        Directory.CreateDirectory(damaged);
        File.WriteAllText(Path.Combine(damaged, Path.GetFileName(outcomes[0].Path)), "{ not json");
        Assert.Equal(DiagnosticCodes.ShardMismatch, Merge(damaged));

        // Nothing was written by a refused merge.
        Assert.False(Directory.Exists(mergedCache) && Directory.EnumerateFiles(mergedCache).Any());
    }

    [Theory]
    [InlineData("2/3", 2, 3)]
    [InlineData("1/1", 1, 1)]
    [InlineData("0/3", 0, 0)]
    [InlineData("4/3", 0, 0)]
    [InlineData("1/0", 0, 0)]
    [InlineData("-1/3", 0, 0)]
    [InlineData("a/3", 0, 0)]
    [InlineData("1/3/4", 0, 0)]
    [InlineData(" 1/3", 0, 0)]
    [InlineData("3", 0, 0)]
    public void ShardTextIsISlashNWithIFrom1ToN(string text, int index, int count)
    {
        var shard = CurveShard.TryParse(text, out var error);
        if (count == 0)
        {
            Assert.Null(shard);
            Assert.Contains(text, error);
        }
        else
        {
            Assert.Equal(new CurveShard(index, count), shard);
            Assert.Equal(text, shard!.ToString());
        }
    }

    [Fact]
    public void ThePartitionIsRoundRobinDisjointAndComplete()
    {
        const int points = 10;
        var shards = Enumerable.Range(1, 3).Select(i => new CurveShard(i, 3)).ToArray();
        for (var k = 0; k < points; k++)
        {
            Assert.Single(shards, s => s.Owns(k));
            Assert.True(shards[k % 3].Owns(k));
        }
    }

    [Fact]
    public void MoreShardsThanCurvePointsIsAUsageError()
    {
        var spec = WriteSpec();
        var error = Assert.Throws<DopException>(() =>
            DopSearch.RunShard(spec, new SearchOptions { CacheFolder = Path.Combine(_folder, "s") }, new CurveShard(1, 1000), new SilentProgress()));
        Assert.Equal(DiagnosticCodes.Usage, error.Code);
        Assert.Contains("1/1000", error.Message);
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

    private DopSpec WriteSpec() =>
        DopSpecParser.Parse(TinySearchProject.Write(_folder, samples: 3, budget: 0.85, extraYaml: "grid:\n  n_v: [4, 8]\n")).GetValueOrThrow();

    /// <summary>Every shard of an n-way split, each into its own folder under <see cref="Shards"/> (as one CI job each).</summary>
    private List<ShardOutcome> MeasureShards(DopSpec spec, int count) =>
        Enumerable.Range(1, count)
            .Select(i => DopSearch.RunShard(spec, new SearchOptions { CacheFolder = Path.Combine(Shards, i.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                new CurveShard(i, count), new SilentProgress()))
            .ToList();
}
