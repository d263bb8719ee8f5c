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
        DeleteOutputOnFailure = true,
    };

    [Fact]
    public void Success_writes_the_policy_and_logs_progress_at_normal_importance()
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
        Assert.All(progress, m => Assert.Equal(MessageImportance.Normal, m.Importance));
        Assert.Contains(_engine.Messages, m => m.Message == "an unstructured stdout line" && m.Importance == MessageImportance.Low);
        Assert.Empty(_engine.Errors);
        Assert.False(task.WasUpToDate);
        Assert.False(File.Exists(task.PolicyFile + ".lock"));
    }

    [Fact]
    public void Command_line_runs_dotnet_exec_with_probing_paths_and_options()
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
    public void Second_run_with_equal_inputs_reports_up_to_date_and_keeps_the_file()
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
    public void Canonical_error_becomes_an_msbuild_error_with_file_line_and_column_and_no_policy_is_left()
    {
        var spec = _folder.File("dop.yaml", "model: m\nbudget:\nfake_error: 'fraction' must be in (0, 1], found 1.5.\n");
        var task = Task(spec);
        Directory.CreateDirectory(Path.GetDirectoryName(task.PolicyFile)!);
        File.WriteAllText(task.PolicyFile, "stale");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("DOP023", error.Code);
        Assert.Equal(spec, error.File);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(13, error.ColumnNumber);
        Assert.Equal("'fraction' must be in (0, 1], found 1.5.", error.Message);
        Assert.False(File.Exists(task.PolicyFile));
    }

    [Fact]
    public void Crash_becomes_one_readable_DOP050_error_not_MSB6006()
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
    public void Unexpected_exit_code_without_diagnostics_is_DOP050()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_exit: 3\n");
        Assert.False(Task(spec).Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("DOP050", error.Code);
        Assert.Contains("exit code 3", error.Message);
        Assert.Contains("some unstructured output", error.Message);
    }

    [Fact]
    public void Exit_code_130_is_reported_as_cancelled()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_exit: 130\n");
        Assert.False(Task(spec).Execute());
        Assert.Equal(TaskDiagnosticCodes.Cancelled, Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void Missing_tool_is_DOP051()
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
    public void Verbosity_sets_progress_importance(string verbosity, MessageImportance expected)
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        Assert.True(Task(spec, verbosity).Execute());
        Assert.All(_engine.Messages.Where(m => m.Message!.StartsWith("dop: [", StringComparison.Ordinal)), m => Assert.Equal(expected, m.Importance));
    }

    [Theory]
    [InlineData("Verbosity", "loud")]
    [InlineData("Device", "tpu")]
    [InlineData("Budget", "1,5")]
    public void Invalid_settings_are_DOP053(string property, string value)
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var task = Task(spec);
        typeof(DopSearch).GetProperty(property)!.SetValue(task, value);
        Assert.False(task.Execute());
        Assert.Equal(TaskDiagnosticCodes.InvalidSetting, Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task Cancel_kills_the_tool_and_leaves_no_policy()
    {
        var spec = _folder.File("dop.yaml", "model: m\nfake_sleep_ms: 20000\n");
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
        Assert.False(File.Exists(task.PolicyFile));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(task.PolicyFile)!, "*.tmp"));
    }

    [Fact]
    public void Verify_surfaces_DOP040_when_the_committed_policy_is_stale()
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
    public void Verify_of_a_missing_committed_policy_is_DOP054()
    {
        var spec = _folder.File("dop.yaml", "model: m\n");
        var verify = new DopVerify { BuildEngine = _engine, SpecFile = spec, PolicyFile = Path.Combine(_folder.Path, "nope.json"), ToolAssembly = TestPaths.FakeDop };
        Assert.False(verify.Execute());
        Assert.Equal(TaskDiagnosticCodes.PolicyMissing, Assert.Single(_engine.Errors).Code);
    }
}
