using System.Diagnostics;
using System.Text.Json;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>The <c>dop</c> tool as a process: exit codes, canonical diagnostics, incremental no-op, JSON output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-cli-tests", Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public void MalformedSpecGivesCanonicalErrorsWithLineAndColumnAndNoPolicy()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        File.WriteAllText(spec, "model: model\nvalidation: data/val.jsonl\nbudget:\n  fraction: 1.5\nbogus: 1\n");
        var (code, _, error) = Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"));
        Assert.Equal(1, code);
        Assert.Contains($"{spec}(4,13): error DOP023:", error);
        Assert.Contains($"{spec}(5,1): error DOP021:", error);
        Assert.False(File.Exists(Path.Combine(_folder, "dop.policy.json")));
        Assert.DoesNotContain("   at ", error); // never a stack trace
    }

    [Fact]
    public void SearchWritesThePolicyThenIsUpToDateThenEvalReportsAccuracy()
    {
        var spec = TinySearchProject.Write(_folder, samples: 2, budget: 0.9);
        var cache = Path.Combine(_folder, "cache");
        var policy = Path.Combine(_folder, "out", "p.json");
        var (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy);
        Assert.True(code == 0, error);
        Assert.Contains("dop: [", error); // progress lines
        Assert.True(File.Exists(policy));
        var written = File.ReadAllBytes(policy);

        (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy);
        Assert.Equal(0, code);
        Assert.Contains("policy is up to date", error);
        Assert.Equal(written, File.ReadAllBytes(policy));

        (code, var output, error) = Dop("eval", "--model", Path.Combine(_folder, "model"), "--data", Path.Combine(_folder, "data", "val.jsonl"), "--policy", policy, "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var accuracy = json.RootElement.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.InRange(json.RootElement.GetProperty("flops_fraction").GetDouble(), 0.01, 0.9 + 1e-9);
    }

    [Fact]
    public void SolveWithoutCachedCurvesIsAClearError()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        var (code, _, error) = Dop("solve", spec, "--budget", "0.3", "--cache-dir", Path.Combine(_folder, "empty-cache"));
        Assert.Equal(1, code);
        Assert.Contains("error DOP042", error);
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

    private static (int Code, string Output, string Error) Dop(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dop.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
