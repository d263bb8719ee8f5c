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
        // fake_namespace: what FakeDop writes into the policy's output section (the real tool: output.namespace). The
        // build takes the names from the policy only, so the editorconfig below proves there is one parser.
        _folder.File("specs/tiny.dop.yaml", "model: model\nvalidation: val.jsonl\nbudget:\n  fraction: 0.5\nfake_namespace: Tiny.Models\n");
        _folder.File("specs/model/config.json", "{}");
        _folder.File("specs/val.jsonl", "{\"image\": \"img/a.png\", \"prompt\": \"p\", \"answer\": \"a\"}\n");
        _folder.File("specs/img/a.png", "not really a png");
    }

    public void Dispose() => _folder.Dispose();

    private string ObjPolicy => Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "dop", "tiny.dop.policy.json");

    private string TrimmedFolder => Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "dop", "tiny.dop.model");

    private string AppDll => Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "App.dll");

    private DotNetCli.Result Build(params string[] extra) =>
        DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            ["build", _project, "-nologo", "-v:n", "-tl:off", .. extra]);

    private string[] ToolRuns() => File.Exists(_log) ? File.ReadAllLines(_log) : [];

    private static void Touch(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow);

    [Fact]
    public void SearchIsIncrementalOnFilesAndSettingsAndNeverRunsAtDesignTime()
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
        Assert.DoesNotContain("DopModelName", editorConfig);
        Assert.Contains("build_property.DopPendingPolicies = \n", editorConfig + "\n");

        // No-op build: no tool run, no compile.
        var compiled = File.GetLastWriteTimeUtc(AppDll);
        var second = Build("--no-restore");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Single(ToolRuns());
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(AppDll));

        // A model file's timestamp changes (re-download): the tool runs, finds the hash equal, writes nothing (the policy
        // keeps its timestamp); no compile.
        var policyTime = File.GetLastWriteTimeUtc(ObjPolicy);
        Touch(Path.Combine(_folder.Path, "specs", "model", "config.json"));
        var touched = Build("--no-restore");
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Equal(2, ToolRuns().Length);
        Assert.Contains("dop: policy is up to date", touched.Output);
        Assert.Equal(policyTime, File.GetLastWriteTimeUtc(ObjPolicy));
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

        // Shard folders from CI jobs (DopCurveShards, relative to the project) are a setting too: the search reruns and gets
        // each folder as a full path.
        var shards = Build("--no-restore", "-p:DopBudget=0.25", "-p:DopCurveShards=ci/shard-1%3Bci/shard-2");
        Assert.True(shards.ExitCode == 0, shards.ToString());
        Assert.Equal(5, ToolRuns().Length);
        var projectFolder = Path.GetDirectoryName(_project)!;
        var expected = $"--shards {Path.Combine(projectFolder, "ci", "shard-1")} --shards {Path.Combine(projectFolder, "ci", "shard-2")}";
        Assert.True(ToolRuns()[^1].Contains(expected, StringComparison.Ordinal), ToolRuns()[^1]);
    }

    [Fact]
    public void BeforeTheFirstBuildTheGeneratorIsToldWhichPoliciesArePending()
    {
        // A design-time build before any real build: no search, no policy, and DopPendingPolicies names the one to come
        // (the generator turns it into info DOPG001 instead of leaving bare CS0103s).
        var designTime = DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            "msbuild", _project, "-nologo", "-restore", "-t:DopAddPolicies", "-p:DesignTimeBuild=true", "-getProperty:DopPendingPolicies");
        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        Assert.Empty(ToolRuns());
        Assert.Equal(ObjPolicy + "|TinyDop", designTime.Output.Trim());
    }

    [Fact]
    public void BrokenSpecFailsWithFileAndLineAndKeepsTheLastPolicyMarkedStale()
    {
        Assert.Equal(0, Build().ExitCode);
        Assert.True(File.Exists(ObjPolicy));
        var good = File.ReadAllBytes(ObjPolicy);

        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "fake_error: 'fraction' must be in (0, 1], found 1.5.\n");
        var broken = Build("--no-restore");
        Assert.NotEqual(0, broken.ExitCode);
        var spec = Path.Combine(_folder.Path, "specs", "tiny.dop.yaml");
        Assert.Contains($"{spec}(6,13): error DOP023: 'fraction' must be in (0, 1], found 1.5.", broken.Output);
        Assert.DoesNotContain("MSB6006", broken.Output);
        Assert.Equal(good, File.ReadAllBytes(ObjPolicy));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ObjPolicy)!, "*.search.stamp"));

        // The IDE's design-time build still hands the last good policy over, now with the reason it is stale (DOPG013).
        var designTime = DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            "msbuild", _project, "-nologo", "-t:DopAddPolicies", "-p:DesignTimeBuild=true", "-getItem:AdditionalFiles");
        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        var policy = JsonDocument.Parse(designTime.Output).RootElement.GetProperty("Items").GetProperty("AdditionalFiles")
            .EnumerateArray().Single(i => i.GetProperty("DopPolicy").GetString() == "true");
        Assert.StartsWith("the last search failed: DOP023", policy.GetProperty("DopStale").GetString(), StringComparison.Ordinal);

        // dotnet clean removes everything the build wrote under obj/dop, the HTML report and the stale file included.
        File.WriteAllText(Path.ChangeExtension(ObjPolicy, ".html"), "<html/>");
        var clean = DotNetCli.Run(_folder.Path, null, Timeout, ["clean", _project, "-nologo", "-tl:off"]);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ObjPolicy)!));
    }

    [Fact]
    public void WarningsAsErrorsFailTheBuildOnDOPWarningsWhileThePolicyStands()
    {
        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "fake_warning: DOP041 the budget cannot be reached\n");
        var plain = Build();
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("warning DOP041", plain.Output);

        // The policy is up to date, but the tool repeats its warning and the project's settings apply to it.
        Touch(Path.Combine(_folder.Path, "specs", "model", "config.json"));
        var strict = Build("--no-restore", "-p:TreatWarningsAsErrors=true");
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("error DOP041", strict.Output);

        var exempt = Build("--no-restore", "-p:TreatWarningsAsErrors=true", "-p:WarningsNotAsErrors=DOP041");
        Assert.True(exempt.ExitCode == 0, exempt.ToString());
        Assert.Contains("warning DOP041", exempt.Output);
    }

    [Fact]
    public void CommittedPolicySkipsTheSearchAndWarnsDOP040WhenStale()
    {
        Assert.Equal(0, Build().ExitCode);
        var committed = Path.Combine(_folder.Path, "tiny.policy.json");
        File.Copy(ObjPolicy, committed);
        File.WriteAllText(_log, "");

        var withCommitted = Build("--no-restore", "-p:DopPolicyFile=tiny.policy.json");
        Assert.True(withCommitted.ExitCode == 0, withCommitted.ToString());
        // No search: a verify, and a trim (no search, no TorchSharp) that finds the trimmed model up to date.
        Assert.Equal(["trim", "verify"], ToolRuns().Select(r => r.Split(' ')[0]).Order());
        Assert.Contains("--out " + TrimmedFolder, ToolRuns().Single(r => r.StartsWith("trim ", StringComparison.Ordinal)));
        Assert.DoesNotContain("DOP040", withCommitted.Output);

        // The spec changes: still no search, but the committed policy is reported stale, on every build until fixed.
        File.AppendAllText(Path.Combine(_folder.Path, "specs", "tiny.dop.yaml"), "seed: 9\n");
        for (var i = 0; i < 2; i++)
        {
            var stale = Build("--no-restore", "-p:DopPolicyFile=tiny.policy.json");
            Assert.True(stale.ExitCode == 0, stale.ToString());
            Assert.Contains("warning DOP040", stale.Output);
        }

        Assert.All(ToolRuns(), r => Assert.DoesNotContain("search ", r));

        // DopSearch=never with no policy anywhere is an error that says what to do.
        Directory.Delete(Path.Combine(_folder.Path, "obj", "Debug", "net10.0", "dop"), recursive: true);
        var never = Build("--no-restore", "-p:DopSearch=never");
        Assert.NotEqual(0, never.ExitCode);
        Assert.Contains("error DOP054", never.Output);
    }

    [Fact]
    public void TrimmedModelIsCopiedToBuildAndPublishOutputAndCanBeTurnedOff()
    {
        var first = Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        var run = Assert.Single(ToolRuns());
        Assert.Contains("--trimmed-out " + TrimmedFolder, run);
        Assert.True(File.Exists(Path.Combine(TrimmedFolder, "model.safetensors")));
        var bin = Path.Combine(_folder.Path, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "dop-model", "TinyDop", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(bin, "dop-model", "TinyDop", "config.json")));
        var editorConfig = File.ReadAllText(Directory.GetFiles(Path.Combine(_folder.Path, "obj", "Debug", "net10.0"), "*.GeneratedMSBuildEditorConfig.editorconfig").Single());
        Assert.Contains("build_metadata.AdditionalFiles.DopModelFolder = dop-model/TinyDop", editorConfig);

        // The trimmed folder is gone (deleted by hand): the tool is asked again even though the policy is up to date.
        Directory.Delete(TrimmedFolder, recursive: true);
        var again = Build("--no-restore");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, ToolRuns().Length);
        Assert.True(File.Exists(Path.Combine(TrimmedFolder, "model.safetensors")));

        // Publish: the trimmed model travels with the app, under the folder the property names.
        var publishDir = Path.Combine(_folder.Path, "published");
        var publish = DotNetCli.Run(_folder.Path, new Dictionary<string, string> { ["FAKE_DOP_LOG"] = _log }, Timeout,
            ["publish", _project, "-nologo", "-tl:off", "--no-restore", "-o", publishDir, "-p:DopModelOutputFolder=models"]);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.True(File.Exists(Path.Combine(publishDir, "models", "TinyDop", "model.safetensors")));

        // DopTrimModel=false: nothing copied into a fresh output folder.
        var offOut = Path.Combine(_folder.Path, "off");
        var off = Build("--no-restore", "-p:DopTrimModel=false", "-p:OutDir=" + offOut + "/");
        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.False(Directory.Exists(Path.Combine(offOut, "dop-model")));
        Assert.DoesNotContain(ToolRuns(), r => r.StartsWith("trim ", StringComparison.Ordinal));
    }

    [Fact]
    public void CudaPackageIsOptIn()
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

    [Fact]
    public void CudaPackageTakesTheTorchSharpVersionFromDirectoryPackagesPropsInRepoBuilds()
    {
        // Packed, build/DopCompiler.Versions.props supplies it (PackageEndToEndTests); here the repo's property stands in.
        var result = DotNetCli.Run(_folder.Path, null, Timeout, ["msbuild", _project, "-nologo", "-getItem:PackageReference", "-p:DopCuda=true", "-p:TorchSharpVersion=9.8.7"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var cuda = JsonDocument.Parse(result.Output).RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Single(r => r.GetProperty("Identity").GetString() == "TorchSharp-cuda-linux");
        Assert.Equal("9.8.7", cuda.GetProperty("Version").GetString());
    }
}
