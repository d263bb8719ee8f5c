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

        Assert.EndsWith("dop-result: written", error.TrimEnd());
        var document = DopCompiler.Policy.PolicySchema.TryParse(written, out _)!;
        // The class's names as the tool's spec parser resolved them: the build reads them from here (one parser).
        Assert.Equal("TinyDop", document.Output!.ClassName);
        Assert.Equal("Tiny.Generated", document.Output.Namespace);
        var writtenAt = File.GetLastWriteTimeUtc(policy);

        (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy);
        Assert.Equal(0, code);
        Assert.Contains("policy is up to date", error);
        Assert.EndsWith("dop-result: up-to-date", error.TrimEnd());
        Assert.Equal(written, File.ReadAllBytes(policy));
        // Not touched either: an unchanged policy must not make the compiler run again.
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(policy));

        // The model folder moved (same bytes): still up to date (content hash), the policy's model name follows the folder,
        // and the next run finds nothing to change.
        Directory.Move(Path.Combine(_folder, "model"), Path.Combine(_folder, "moved-model"));
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("model: model", "model: moved-model", StringComparison.Ordinal));
        (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy);
        Assert.True(code == 0, error);
        Assert.Contains("policy is up to date", error);
        Assert.DoesNotContain("dop: [", error);
        Assert.EndsWith("dop-result: written", error.TrimEnd());
        var moved = DopCompiler.Policy.PolicySchema.TryParse(File.ReadAllBytes(policy), out _)!;
        Assert.Equal("moved-model", moved.Model.Name);
        Assert.Equal(document.SpecHash, moved.SpecHash);
        (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy);
        Assert.EndsWith("dop-result: up-to-date", error.TrimEnd());
        Directory.Move(Path.Combine(_folder, "moved-model"), Path.Combine(_folder, "model"));

        (code, var output, error) = Dop("eval", "--model", Path.Combine(_folder, "model"), "--data", Path.Combine(_folder, "data", "val.jsonl"), "--policy", policy, "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var accuracy = json.RootElement.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.InRange(json.RootElement.GetProperty("flops_fraction").GetDouble(), 0.01, 0.9 + 1e-9);
    }

    [Fact]
    public void TrimmedOutAndTrimWriteTheCheckpointTheClassReadsOnceAndRecordTheHashes()
    {
        var spec = TinySearchProject.Write(_folder, samples: 2, budget: 0.9);
        var model = Path.Combine(_folder, "model");
        var cache = Path.Combine(_folder, "cache");
        var policy = Path.Combine(_folder, "out", "p.json");
        var trimmed = Path.Combine(_folder, "out", "p.model");
        var (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy, "--trimmed-out", trimmed);
        Assert.True(code == 0, error);
        Assert.Contains("dop: trimmed model written: " + trimmed, error);
        var document = DopCompiler.Policy.PolicySchema.TryParse(File.ReadAllBytes(policy), out _)!;
        Assert.Equal(SearchInputs.HashModel(model), document.Model.Hash);
        using (var file = DopCompiler.Model.Checkpoints.SafetensorsFile.Open(Path.Combine(trimmed, "model.safetensors")))
        {
            Assert.Equal(document.Model.Hash, file.Metadata["dop_source_model_hash"]);
            Assert.Equal(document.SpecHash, file.Metadata["dop_policy_hash"]);
            Assert.DoesNotContain(file.Tensors.Keys, k => k.Contains("post_layernorm", StringComparison.Ordinal) || k.Contains("encoder.layers.1.", StringComparison.Ordinal));
        }

        Assert.True(new FileInfo(Path.Combine(trimmed, "model.safetensors")).Length < new FileInfo(Path.Combine(model, "model.safetensors")).Length);
        foreach (var copied in new[] { "config.json", "preprocessor_config.json", "vocab.json", "merges.txt", "special_tokens_map.json" })
        {
            Assert.True(File.Exists(Path.Combine(trimmed, copied)), copied);
        }

        // Up to date: the policy and the trimmed folder are left alone.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(trimmed, "model.safetensors"));
        (code, _, error) = Dop("search", spec, "--cache-dir", cache, "--out", policy, "--trimmed-out", trimmed);
        Assert.True(code == 0, error);
        Assert.Contains("dop: trimmed model is up to date", error);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(trimmed, "model.safetensors")));

        // dop trim (a committed policy): same folder content, no search.
        var fromTrim = Path.Combine(_folder, "out", "trim.model");
        (code, _, error) = Dop("trim", spec, "--policy", policy, "--out", fromTrim);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("dop: [", error);
        Assert.Equal(File.ReadAllBytes(Path.Combine(trimmed, "model.safetensors")), File.ReadAllBytes(Path.Combine(fromTrim, "model.safetensors")));
    }

    [Fact]
    public void SolveWithoutCachedCurvesIsAClearError()
    {
        var spec = TinySearchProject.Write(_folder, samples: 1);
        var (code, _, error) = Dop("solve", spec, "--budget", "0.3", "--cache-dir", Path.Combine(_folder, "empty-cache"));
        Assert.Equal(1, code);
        Assert.Contains("error DOP042", error);
    }

    [Fact]
    public void CudaWithoutAUsableGpuIsAClearErrorAndAutoFallsBackToTheCpu()
    {
        // These machines have the CPU libtorch only (no GPU): cuda must be refused before any work, auto must run.
        var spec = TinySearchProject.Write(_folder, samples: 1, budget: 0.9);
        var policy = Path.Combine(_folder, "dop.policy.json");
        var (code, _, error) = Dop("search", spec, "--device", "cuda", "--cache-dir", Path.Combine(_folder, "cache"));
        Assert.Equal(1, code);
        Assert.Contains($"{spec}: error DOP007: device: cuda was asked for but TorchSharp sees no CUDA device", error);
        Assert.False(File.Exists(policy));
        var (autoCode, _, autoError) = Dop("search", spec, "--device", "auto", "--cache-dir", Path.Combine(_folder, "cache"));
        Assert.True(autoCode == 0, autoError);
        Assert.True(File.Exists(policy));
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

    internal static (int Code, string Output, string Error) Dop(params string[] args)
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
