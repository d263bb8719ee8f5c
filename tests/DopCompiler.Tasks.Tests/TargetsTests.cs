using System.Text.Json;

namespace DopCompiler.Tasks.Tests;

/// <summary>
/// build/DopCompiler.targets in real `dotnet build`s of a throw-away project, with FakeDop as the tool: incrementality,
/// the .inputs file, design-time builds, committed policies, and errors with locations. Every tool run is logged to
/// FAKE_DOP_LOG, so "the search ran" is counted, not guessed from log text.
/// </summary>
public sealed class TargetsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly TempFolder _folder = new();
    private readonly string _log;
    private readonly string _project;

    public TargetsTests()
    {
        DotNetCli.Isolate(_folder.Path);
        _log = Path.Combine(_folder.Path, "fake-dop.log");
        var build = Path.Combine(TestPaths.RepoRoot, "build");
        _project = _folder.File("App.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <_DopTaskAssembly>{TestPaths.TaskAssembly}</_DopTaskAssembly>
                <_DopUseTaskHost>true</_DopUseTaskHost>
                <DopToolPath>{TestPaths.FakeDop}</DopToolPath>
              </PropertyGroup>
              <Import Project="{build}/DopCompiler.props" />
              <ItemGroup>
                <DopModel Include="specs/tiny.dop.yaml" Visibility="public" />
              </ItemGroup>
              <Import Project="{build}/DopCompiler.targets" />
            </Project>
            """);
        _folder.File("Program.cs", "System.Console.WriteLine(\"ok\");\n");
        _folder.File("specs/tiny.dop.yaml", "model: model\nvalidation: val.jsonl\nbudget:\n  fraction: 0.5\noutput:\n  namespace: Tiny.Models\n");
        _folder.File("specs/model/config.json", "{}");
        _folder.File("specs/val.jsonl", "{\"image\": \"img/a.png\", \"prompt\": \"p\", \"answer\": \"a\"}\n");
        _folder.File("specs/img/a.png", "not really a png");
    }

    public void Dispose() => _folder.Dispose();

    private string ObjPolicy => Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "dop", "tiny.dop.policy.json");

    private string AppDll => Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "App.dll");

    private DotNetCli.Result Build(params string[] extra) =>
        DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            ["build", _project, "-nologo", "-v:n", "-tl:off", .. extra]);

    private string[] ToolRuns() => File.Exists(_log) ? File.ReadAllLines(_log) : [];

    private static void Touch(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow);

    [Fact]
    public void Search_is_incremental_on_files_and_settings_and_never_runs_at_design_time()
    {
        // First build: one search, the policy handed to the compiler with the generator's metadata.
        var first = Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Single(ToolRuns());
        Assert.Contains("dop: [1/2] curve attention/image", first.Output);
        Assert.True(File.Exists(ObjPolicy));
        var editorConfig = File.ReadAllText(Directory.GetFiles(Path.Combine(_folder.Path, "obj", "Debug", "net10.0"), "*.GeneratedMSBuildEditorConfig.editorconfig").Single());
        Assert.Contains("build_metadata.AdditionalFiles.DopPolicy = true", editorConfig);
        Assert.Contains("build_metadata.AdditionalFiles.DopClassName = TinyDop", editorConfig);
        Assert.Contains("build_metadata.AdditionalFiles.DopNamespace = Tiny.Models", editorConfig);
        Assert.Contains("build_metadata.AdditionalFiles.DopVisibility = public", editorConfig);
        Assert.Contains("build_metadata.AdditionalFiles.DopModelName = model", editorConfig);

        // No-op build: no tool run, no compile.
        var compiled = File.GetLastWriteTimeUtc(AppDll);
        var second = Build("--no-restore");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Single(ToolRuns());
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(AppDll));

        // A model file's timestamp changes (re-download): the tool runs, finds the hash equal, writes nothing; no compile.
        Touch(Path.Combine(_folder.Path, "specs", "model", "config.json"));
        var touched = Build("--no-restore");
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Equal(2, ToolRuns().Length);
        Assert.Contains("dop: policy is up to date", touched.Output);
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(AppDll));

        // A validation image is an input too.
        Touch(Path.Combine(_folder.Path, "specs", "img", "a.png"));
        Assert.Equal(0, Build("--no-restore").ExitCode);
        Assert.Equal(3, ToolRuns().Length);

        // A setting that changes the result reruns the search (the .inputs file changed).
        var budget = Build("--no-restore", "-p:DopBudget=0.25");
        Assert.True(budget.ExitCode == 0, budget.ToString());
        Assert.Equal(4, ToolRuns().Length);
        Assert.Contains("--budget 0.25", ToolRuns()[^1]);
        Assert.DoesNotContain("dop: policy is up to date", budget.Output);

        // Design-time build after a spec edit: no search, but the last policy still reaches the compiler.
        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "seed: 4\n");
        var designTime = DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            "msbuild", _project, "-nologo", "-t:DopAddPolicies", "-p:DesignTimeBuild=true", "-p:DopBudget=0.25", "-getItem:AdditionalFiles");
        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        Assert.Equal(4, ToolRuns().Length);
        var additional = JsonDocument.Parse(designTime.Output).RootElement.GetProperty("Items").GetProperty("AdditionalFiles");
        var policy = additional.EnumerateArray().Single(i => i.GetProperty("DopPolicy").GetString() == "true");
        Assert.Equal(ObjPolicy, policy.GetProperty("FullPath").GetString());
        Assert.Equal("TinyDop", policy.GetProperty("DopClassName").GetString());
    }

    [Fact]
    public void Broken_spec_fails_with_file_and_line_and_leaves_no_policy()
    {
        Assert.Equal(0, Build().ExitCode);
        Assert.True(File.Exists(ObjPolicy));

        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "fake_error: 'fraction' must be in (0, 1], found 1.5.\n");
        var broken = Build("--no-restore");
        Assert.NotEqual(0, broken.ExitCode);
        var spec = Path.Combine(_folder.Path, "specs", "tiny.dop.yaml");
        Assert.Contains($"{spec}(7,13): error DOP023: 'fraction' must be in (0, 1], found 1.5.", broken.Output);
        Assert.DoesNotContain("MSB6006", broken.Output);
        Assert.False(File.Exists(ObjPolicy));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ObjPolicy)!, "*.stamp"));
    }

    [Fact]
    public void Committed_policy_skips_the_search_and_warns_DOP040_when_stale()
    {
        Assert.Equal(0, Build().ExitCode);
        var committed = Path.Combine(_folder.Path, "tiny.policy.json");
        File.Copy(ObjPolicy, committed);
        File.WriteAllText(_log, "");

        var withCommitted = Build("--no-restore", "-p:DopPolicyFile=tiny.policy.json");
        Assert.True(withCommitted.ExitCode == 0, withCommitted.ToString());
        var run = Assert.Single(ToolRuns());
        Assert.StartsWith("verify ", run);
        Assert.DoesNotContain("DOP040", withCommitted.Output);

        // The spec changes: still no search, but the committed policy is reported stale, on every build until fixed.
        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "seed: 9\n");
        for (var i = 0; i < 2; i++)
        {
            var stale = Build("--no-restore", "-p:DopPolicyFile=tiny.policy.json");
            Assert.True(stale.ExitCode == 0, stale.ToString());
            Assert.Contains("warning DOP040", stale.Output);
        }

        Assert.All(ToolRuns(), r => Assert.StartsWith("verify ", r));

        // DopSearch=never with no policy anywhere is an error that says what to do.
        Directory.Delete(Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "dop"), recursive: true);
        var never = Build("--no-restore", "-p:DopSearch=never");
        Assert.NotEqual(0, never.ExitCode);
        Assert.Contains("error DOP054", never.Output);
    }

    [Fact]
    public void Cuda_package_is_opt_in()
    {
        string[] CudaReferences(params string[] extra)
        {
            var result = DotNetCli.Run(_folder.Path, null, Timeout, ["msbuild", _project, "-nologo", "-getItem:PackageReference", .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var items = JsonDocument.Parse(result.Output).RootElement.GetProperty("Items");
            return items.TryGetProperty("PackageReference", out var references)
                ? references.EnumerateArray().Select(r => r.GetProperty("Identity").GetString()!).Where(n => n.Contains("cuda", StringComparison.OrdinalIgnoreCase)).ToArray()
                : [];
        }

        Assert.Empty(CudaReferences());
        Assert.Equal(["TorchSharp-cuda-linux"], CudaReferences("-p:DopCuda=true"));
    }
}
