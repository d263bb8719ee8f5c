using DopCompiler.Policy;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks.Tests;

/// <summary>The DopSearch/DopVerify tasks against FakeDop: command line, output parsing, crashes, partial output.</summary>
public sealed class DopSearchTaskTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly RecordingBuildEngine _engine = new();

    public void Dispose() => _folder.Dispose();

    private DopSearch Task(string spec, string? verbosity = null) => new()
    {
        BuildEngine = _engine,
        SpecFile = spec,
        PolicyFile = Path.Combine(_folder.Path, "obj", "dop.policy.json"),
        ToolAssembly = TestPaths.FakeDop,
        ProbingPaths = [new TaskItem(Path.Combine(_folder.Path, "no-such-nuget-folder"))],
        Verbosity = verbosity,
        StaleFile = Path.Combine(_folder.Path, "obj", "dop.policy.stale"),
    };

    [Fact]
    public void SuccessWritesThePolicyAndLogsEachPhaseAtHighImportance()
    {
        var spec = _folder.File("dop.yaml", "model: m\nbudget:\n  fraction: 0.5\n");
        var task = Task(spec);
        task.Budget = "0.25";

        Assert.True(task.Execute(), _engine.Describe());

        var policy = PolicySchema.TryParse(File.ReadAllBytes(task.PolicyFile), out var error);
        Assert.True(policy != null, error);
        Assert.Equal(0.25, policy!.Budget.Asked);
        var progress = _engine.Messages.Where(m => m.Message!.StartsWith("dop: [", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, progress.Count);
        // The first step line of a phase kind ("curve") is high importance (the terminal logger's live line, minimal
        // verbosity); the next one within 15 s is normal, so CI logs do not get every step.
        Assert.Equal([MessageImportance.High, MessageImportance.Normal], progress.Select(m => m.Importance));
        Assert.Contains(_engine.Messages, m => m.Message!.StartsWith("dop: wrote", StringComparison.Ordinal) && m.Importance == MessageImportance.High);
        Assert.Contains(_engine.Messages, m => m.Message == "an unstructured stdout line" && m.Importance == MessageImportance.Low);
        Assert.Empty(_engine.Errors);
        Assert.False(task.WasUpToDate);
        Assert.False(File.Exists(task.PolicyFile + ".lock"));
    }

    [Fact]
    public void CommandLineRunsDotnetExecWithProbingPathsAndOptions()
    {
        var spec = _folder.File("my spec.yaml", "model: m\n");
        var task = Task(spec);
        task.Device = "CPU";
        task.LibTorchDir = "/opt/libtorch";
        task.ProbingPaths = [new TaskItem("/nuget/a/"), new TaskItem("/nuget/b")];
        Assert.True(task.Execute(), _engine.Describe());

        var commandLine = _engine.Messages.Select(m => m.Message!).First(m => m.Contains(" exec ", StringComparison.Ordinal));
        Assert.Contains("exec --additionalprobingpath /nuget/a --additionalprobingpath /nuget/b", commandLine);
        Assert.Contains($"{TestPaths.FakeDop} search \"{spec}\" --out {task.PolicyFile}", commandLine);
        Assert.Contains("--device cpu", commandLine);
        Assert.Contains("--libtorch-dir /opt/libtorch", commandLine);
    }

    [Fact]
    public void CurveShardFoldersReachTheCommandLineAsOneShardsOptionEach()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var task = Task(spec);
        task.CurveShards = ["/ci/artifacts/curves-1/", "/ci/artifacts/curves 2", " "];
        Assert.True(task.Execute(), _engine.Describe());

        var commandLine = _engine.Messages.Select(m => m.Message!).First(m => m.Contains(" exec ", StringComparison.Ordinal));
        Assert.EndsWith("--shards /ci/artifacts/curves-1 --shards \"/ci/artifacts/curves 2\"", commandLine.TrimEnd());
    }

    [Fact]
    public void SecondRunWithEqualInputsReportsUpToDateAndKeepsTheFile()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        Assert.True(Task(spec).Execute());
        var written = File.GetLastWriteTimeUtc(Task(spec).PolicyFile);

        var second = Task(spec);
        Assert.True(second.Execute(), _engine.Describe());
        Assert.True(second.WasUpToDate);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.PolicyFile));
    }

    [Fact]
    public void CanonicalErrorBecomesAnMsbuildErrorWithFileLineAndColumnAndTheLastPolicyIsKeptAndMarkedStale()
    {
        var spec = _folder.File("dop.yaml", "model: m\nbudget:\n");
        var task = Task(spec);
        Assert.True(task.Execute(), _engine.Describe());
        var good = File.ReadAllBytes(task.PolicyFile);
        File.AppendAllText(spec, "fake_error: 'fraction' must be in (0, 1], found 1.5.\n");
        task = Task(spec);

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("DOP023", error.Code);
        Assert.Equal(spec, error.File);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(13, error.ColumnNumber);
        Assert.Equal("'fraction' must be in (0, 1], found 1.5.", error.Message);
        Assert.EndsWith("README.md#dop023", error.HelpLink, StringComparison.Ordinal);
        // The last good policy stays (the IDE keeps its class); the stale file says why it no longer matches.
        Assert.Equal(good, File.ReadAllBytes(task.PolicyFile));
        Assert.Equal("the last search failed: DOP023: 'fraction' must be in (0, 1], found 1.5.", File.ReadAllText(task.StaleFile!).Trim());

        // Fixed: the next search succeeds and the stale mark goes.
        File.WriteAllText(spec, "model: m\nbudget:\n  fraction: 0.4\n");
        Assert.True(Task(spec).Execute(), _engine.Describe());
        Assert.False(File.Exists(task.StaleFile));
    }

    [Theory]
    [InlineData("", "", "", "", "warning")]
    [InlineData("true", "", "", "", "error")]
    [InlineData("true", "", "DOP041", "", "warning")]
    [InlineData("true", "", "CS1591,DOP041", "", "warning")]
    [InlineData("", "DOP041", "", "", "error")]
    [InlineData("", "CS0168;dop041", "", "", "error")]
    [InlineData("", "", "", "DOP041", "none")]
    [InlineData("true", "DOP041", "", "1591, DOP041", "none")]
    [InlineData("", "DOP040", "", "DOP044", "warning")]
    public void ProjectWarningSettingsApplyToTheToolsWarningsAndRepeatWhileThePolicyStands(
        string treatAsErrors, string asErrors, string notAsErrors, string noWarn, string expected)
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_warning: DOP041 the budget cannot be reached\n");
        for (var run = 0; run < 2; run++)
        {
            // Run 0 searches; run 1 finds the policy up to date and must report the same warning again.
            _engine.Errors.Clear();
            _engine.Warnings.Clear();
            var task = Task(spec);
            task.TreatWarningsAsErrors = treatAsErrors == "true";
            task.WarningsAsErrors = asErrors;
            task.WarningsNotAsErrors = notAsErrors;
            task.NoWarn = noWarn;
            var succeeded = task.Execute();
            Assert.True(File.Exists(task.PolicyFile));
            if (expected != "error")
            {
                Assert.Equal(run == 1, task.WasUpToDate);
            }

            switch (expected)
            {
                case "error":
                    Assert.False(succeeded);
                    var error = Assert.Single(_engine.Errors);
                    Assert.Equal("DOP041", error.Code);
                    Assert.EndsWith("README.md#dop041", error.HelpLink, StringComparison.Ordinal);
                    Assert.Empty(_engine.Warnings);
                    break;
                case "warning":
                    Assert.True(succeeded, _engine.Describe());
                    var warning = Assert.Single(_engine.Warnings);
                    Assert.Equal("DOP041", warning.Code);
                    Assert.EndsWith("README.md#dop041", warning.HelpLink, StringComparison.Ordinal);
                    break;
                default:
                    Assert.True(succeeded, _engine.Describe());
                    Assert.Empty(_engine.Warnings);
                    Assert.Empty(_engine.Errors);
                    break;
            }
        }
    }

    [Fact]
    public void CrashBecomesOneReadableDOP050ErrorNotMSB6006()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_crash: true\n");
        Assert.False(Task(spec).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(TaskDiagnosticCodes.ToolCrashed, error.Code);
        Assert.Contains("exit code 134", error.Message);
        Assert.Contains("fake crash in the search", error.Message);
        Assert.Equal(spec, error.File);
    }

    [Fact]
    public void UnexpectedExitCodeWithoutDiagnosticsIsDOP050()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_exit: 3\n");
        Assert.False(Task(spec).Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("DOP050", error.Code);
        Assert.Contains("exit code 3", error.Message);
        Assert.Contains("some unstructured output", error.Message);
    }

    [Fact]
    public void ExitCode130IsReportedAsCancelled()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_exit: 130\n");
        Assert.False(Task(spec).Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(TaskDiagnosticCodes.Cancelled, error.Code);
        Assert.EndsWith("docs/msbuild.md#dop052", error.HelpLink, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingToolIsDOP051()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var task = Task(spec);
        task.ToolAssembly = Path.Combine(_folder.Path, "tools", "dop.dll");
        Assert.False(task.Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(TaskDiagnosticCodes.ToolNotFound, error.Code);
        Assert.Contains("dotnet restore", error.Message);
    }

    [Theory]
    [InlineData("high", MessageImportance.High)]
    [InlineData("low", MessageImportance.Low)]
    public void VerbositySetsProgressImportance(string verbosity, MessageImportance expected)
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        Assert.True(Task(spec, verbosity).Execute());
        Assert.All(_engine.Messages.Where(m => m.Message!.StartsWith("dop: [", StringComparison.Ordinal)), m => Assert.Equal(expected, m.Importance));
    }

    [Theory]
    [InlineData("Verbosity", "loud")]
    [InlineData("Device", "tpu")]
    [InlineData("Budget", "1,5")]
    public void InvalidSettingsAreDOP053(string property, string value)
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var task = Task(spec);
        typeof(DopSearch).GetProperty(property)!.SetValue(task, value);
        Assert.False(task.Execute());
        Assert.Equal(TaskDiagnosticCodes.InvalidSetting, Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task Cancel_kills_the_tool_keeps_the_last_policy_and_marks_it_stale()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        Assert.True(Task(spec).Execute(), _engine.Describe());
        var good = File.ReadAllBytes(Task(spec).PolicyFile);
        File.AppendAllText(spec, "fake_sleep_ms: 20000\n");
        _engine.Messages.Clear();
        var task = Task(spec);
        var run = System.Threading.Tasks.Task.Run(task.Execute);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!_engine.Messages.ToArray().Any(m => m.Message?.StartsWith("dop: [1/2]", StringComparison.Ordinal) == true) && DateTime.UtcNow < deadline)
        {
            await System.Threading.Tasks.Task.Delay(50);
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        task.Cancel();
        var finished = await System.Threading.Tasks.Task.WhenAny(run, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(15)));
        Assert.Same(run, finished);
        Assert.False(await run);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15));
        Assert.Equal(good, File.ReadAllBytes(task.PolicyFile));
        Assert.Equal("the last search was cancelled", File.ReadAllText(task.StaleFile!).Trim());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(task.PolicyFile)!, "*.tmp"));
    }

    [Fact]
    public void VerifySurfacesDOP040WhenTheCommittedPolicyIsStale()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var search = Task(spec);
        Assert.True(search.Execute());

        var verify = new DopVerify { BuildEngine = _engine, SpecFile = spec, PolicyFile = search.PolicyFile, ToolAssembly = TestPaths.FakeDop };
        Assert.True(verify.Execute(), _engine.Describe());
        Assert.False(verify.ReportedWarnings);
        Assert.Empty(_engine.Warnings);

        File.AppendAllText(spec, "seed: 3\n");
        var again = new DopVerify { BuildEngine = _engine, SpecFile = spec, PolicyFile = search.PolicyFile, ToolAssembly = TestPaths.FakeDop };
        Assert.True(again.Execute(), _engine.Describe());
        Assert.True(again.ReportedWarnings);
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("DOP040", warning.Code);
        Assert.Equal(spec, warning.File);
    }

    [Fact]
    public void VerifyOfAMissingCommittedPolicyIsDOP054()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var verify = new DopVerify { BuildEngine = _engine, SpecFile = spec, PolicyFile = Path.Combine(_folder.Path, "nope.json"), ToolAssembly = TestPaths.FakeDop };
        Assert.False(verify.Execute());
        Assert.Equal(TaskDiagnosticCodes.PolicyMissing, Assert.Single(_engine.Errors).Code);
    }
}
