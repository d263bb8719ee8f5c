using System.Diagnostics;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>
/// Regressions from the malformed-input run (issue 20), command-line side: each bad input gets exit code 1, a
/// <c>DOP0xx</c> code (at file(line,col) where one exists), no stack trace and nothing written at <c>--out</c>.
/// </summary>
public sealed class MalformedInputCliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dop-malformed-cli", Guid.NewGuid().ToString("N"));

    public MalformedInputCliTests() => Directory.CreateDirectory(_folder);

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

    [Theory]
    [InlineData("-0.2", "DOP023")]
    [InlineData("1.5", "DOP023")]
    [InlineData("NaN", "DOP022")]
    [InlineData("0,5", "DOP022")]
    [InlineData("x", "DOP022")]
    public void BudgetOptionGoesThroughTheSpecsChecks(string value, string code)
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        var policy = Path.Combine(_folder, "p.json");
        var (exit, _, error) = Dop("search", spec, "--budget=" + value, "--out", policy, "--cache-dir", Path.Combine(_folder, "cache"));
        AssertCodedFailure(exit, error, $"dop: error {code}: --budget");
        Assert.False(File.Exists(policy));
    }

    [Fact]
    public void BudgetOptionWithoutValueIsDop043()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        var (exit, _, error) = Dop("solve", spec, "--budget");
        AssertCodedFailure(exit, error, "dop: error DOP043:");
    }

    [Fact]
    public void OutEqualToTheSpecIsDop043AndTheSpecIsUntouched()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        var before = File.ReadAllBytes(spec);
        var (exit, _, error) = Dop("search", spec, "--out", spec, "--cache-dir", Path.Combine(_folder, "cache"));
        AssertCodedFailure(exit, error, "dop: error DOP043: --out");
        Assert.Equal(before, File.ReadAllBytes(spec));
    }

    [Fact]
    public void DeviceCudaInTheSpecWithoutAGpuIsDop007AtItsLine()
    {
        // These machines have the CPU libtorch only; the spec's own line is where the user fixes it.
        var spec = TinySearchProject.Write(_folder, samples: 1, extraYaml: "device: cuda\n");
        var line = File.ReadAllLines(spec).ToList().FindIndex(l => l.StartsWith("device:", StringComparison.Ordinal)) + 1;
        var (exit, _, error) = Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"));
        AssertCodedFailure(exit, error, $"{spec}({line},9): error DOP007:");
    }

    [Fact]
    public void LibTorchDirInTheSpecIsWhatTheNativeLoaderLoads()
    {
        // An empty libtorch.so passes the parser's check; the loader then names that very file: the setting is used.
        var lib = Path.Combine(_folder, "fake-libtorch");
        Directory.CreateDirectory(lib);
        File.WriteAllBytes(Path.Combine(lib, "libtorch.so"), []);
        var spec = TinySearchProject.Write(_folder, samples: 1, extraYaml: "libtorch_dir: fake-libtorch\n");
        var (exit, _, error) = Dop("search", spec, "--cache-dir", Path.Combine(_folder, "cache"));
        AssertCodedFailure(exit, error, "error DOP001:");
        Assert.Contains(Path.Combine(lib, "libtorch.so"), error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableBudgetIsDop041ErrorWithNoPolicyAndCheapestOptsIntoTheWarning()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1, budget: 0.0001);
        var policy = Path.Combine(_folder, "p.json");
        var cache = Path.Combine(_folder, "cache");
        var (exit, _, error) = Dop("search", spec, "--out", policy, "--cache-dir", cache);
        AssertCodedFailure(exit, error, $"{spec}: error DOP041: the budget cannot be reached");
        Assert.False(File.Exists(policy));

        File.WriteAllText(spec, File.ReadAllText(spec).Replace("fraction: 0.0001", "fraction: 0.0001\n  on_unreachable: cheapest", StringComparison.Ordinal));
        (exit, _, error) = Dop("search", spec, "--out", policy, "--cache-dir", cache);
        Assert.True(exit == 0, error);
        Assert.Contains("warning DOP041", error, StringComparison.Ordinal);
        Assert.True(File.Exists(policy));
    }

    [Fact]
    public void EvalWithAPolicyForAnotherModelIsDop010AndEvaluatesNothing()
    {
        TinySearchProject.Write(_folder, samples: 1);
        var model = Path.Combine(_folder, "model");
        var policy = Path.Combine(_folder, "other.policy.json");
        File.WriteAllBytes(policy, TinyPolicy.Json(model, "sha256:" + new string('0', 64)));
        var (exit, output, error) = Dop("eval", "--model", model, "--data", Path.Combine(_folder, "data", "val.jsonl"), "--policy", policy, "--json");
        AssertCodedFailure(exit, error, $"{policy}: error DOP010:");
        Assert.Equal("", output);
    }

    [Fact]
    public void EvalWithABrokenPolicyIsDop006()
    {
        TinySearchProject.Write(_folder, samples: 1);
        var model = Path.Combine(_folder, "model");
        var policy = Path.Combine(_folder, "broken.policy.json");
        var json = System.Text.Encoding.UTF8.GetString(TinyPolicy.Json(model, "sha256:00"));
        File.WriteAllText(policy, json.TrimEnd().TrimEnd('}'));
        var (exit, _, error) = Dop("eval", "--model", model, "--data", Path.Combine(_folder, "data", "val.jsonl"), "--policy", policy);
        AssertCodedFailure(exit, error, $"{policy}: error DOP006:");
    }

    internal static void AssertCodedFailure(int exit, string error, string expected)
    {
        Assert.True(exit == 1, $"exit {exit}: {error}");
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("DOP099", error, StringComparison.Ordinal);
    }

    internal static (int Code, string Output, string Error) Dop(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dop.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The machine's own setting would win over the spec's libtorch_dir.
        start.Environment.Remove("DOP_LIBTORCH_DIR");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
