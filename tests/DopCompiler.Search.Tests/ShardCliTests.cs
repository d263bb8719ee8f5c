using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary><c>dop search --shard i/n</c>, <c>dop merge</c> and <c>dop search --shards</c> as a CI pipeline runs them: processes, exit codes, files.</summary>
public sealed class ShardCliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-shard-cli-tests", Guid.NewGuid().ToString("N"));

    public ShardCliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public void ShardJobsThenMergeThenSearchWriteTheUnshardedPolicy()
    {
        var spec = TinySearchProject.Write(_folder, samples: 2, budget: 0.9);
        var whole = Path.Combine(_folder, "whole.policy.json");
        var (code, _, error) = CliTests.Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"), "--out", whole);
        Assert.True(code == 0, error);

        // Two shard jobs, each uploading its own folder; no policy from either.
        for (var i = 1; i <= 2; i++)
        {
            (code, _, error) = CliTests.Dop("search", spec, "--shard", $"{i}/2", "--cache-dir", Path.Combine(_folder, "artifacts", $"curves-{i}"));
            Assert.True(code == 0, error);
            Assert.Contains($"dop: shard {i}/2: ", error);
            Assert.Single(Directory.GetFiles(Path.Combine(_folder, "artifacts", $"curves-{i}"), $"curves-*.shard-{i}-of-2.json"));
        }

        Assert.False(File.Exists(Path.Combine(_folder, "dop.policy.json")));

        // The merge job, one command: the plain search reading the downloaded artifacts.
        var merged = Path.Combine(_folder, "merged.policy.json");
        (code, _, error) = CliTests.Dop("search", spec, "--shards", Path.Combine(_folder, "artifacts"), "--cache-dir", Path.Combine(_folder, "merge-cache"), "--out", merged);
        Assert.True(code == 0, error);
        Assert.Contains("no validation run for curve points", error);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(merged));

        // Or two: dop merge into a cache, then the search (or a build with DopCacheDir) on it.
        (code, _, error) = CliTests.Dop("merge", spec, Path.Combine(_folder, "artifacts", "curves-1"), Path.Combine(_folder, "artifacts", "curves-2"),
            "--cache-dir", Path.Combine(_folder, "merged-curves"));
        Assert.True(code == 0, error);
        Assert.Contains("merged curves written: ", error);
        var fromCache = Path.Combine(_folder, "from-cache.policy.json");
        (code, _, error) = CliTests.Dop("search", spec, "--cache-dir", Path.Combine(_folder, "merged-curves"), "--out", fromCache);
        Assert.True(code == 0, error);
        Assert.Contains("curves from the cache", error);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(fromCache));
    }

    [Fact]
    public void BadShardArgumentsAndAMissingShardAreCodedErrors()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1, budget: 0.9);
        var cache = Path.Combine(_folder, "cache");
        foreach (var bad in new[] { "0/2", "3/2", "x" })
        {
            var (badCode, _, badError) = CliTests.Dop("search", spec, "--shard", bad, "--cache-dir", cache);
            Assert.Equal(1, badCode);
            Assert.Contains("error DOP043: --shard", badError);
        }

        var (code, _, error) = CliTests.Dop("search", spec, "--shard", "1/2", "--trimmed-out", Path.Combine(_folder, "t"), "--cache-dir", cache);
        Assert.Equal(1, code);
        Assert.Contains("error DOP043:", error);
        Assert.Contains("--trimmed-out", error);

        (code, _, error) = CliTests.Dop("search", spec, "--shard", "1/2", "--cache-dir", cache);
        Assert.True(code == 0, error);
        (code, _, error) = CliTests.Dop("merge", spec, cache, "--cache-dir", Path.Combine(_folder, "merged"));
        Assert.Equal(1, code);
        Assert.Contains($"{spec}: error DOP061: shard 2/2 missing", error);
        Assert.DoesNotContain("   at ", error);
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
}
