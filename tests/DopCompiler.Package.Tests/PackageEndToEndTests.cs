using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using DopCompiler.Tasks.Tests;
using DopCompiler.TestFixtures;
using Xunit.Abstractions;

namespace DopCompiler.Package.Tests;

/// <summary>Skips the end-to-end test, with the reason, while a project it needs does not exist yet.</summary>
public sealed class EndToEndFactAttribute : FactAttribute
{
    public EndToEndFactAttribute()
    {
        var root = PackageEndToEndTests.RepoRoot;
        var missing = new[] { "src/DopCompiler.Cli/DopCompiler.Cli.csproj", "src/DopCompiler.Generator/DopCompiler.Generator.csproj", "src/DopCompiler.Runtime/DopCompiler.Runtime.csproj" }
            .Where(p => !File.Exists(Path.Combine(root, p)))
            .ToArray();
        if (missing.Length > 0)
        {
            Skip = "needs the real dop tool, generator and runtime; missing: " + string.Join(", ", missing);
        }
    }
}

/// <summary>
/// The issue's "must show": the packed DopCompiler package in a fresh consumer project. One unique pre-release version
/// per run (so NuGet's global folder never serves a stale copy, and TorchSharp/libtorch come from the shared folder
/// instead of a 600 MB re-download), removed from the global folder afterwards.
/// </summary>
public sealed class PackageEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);

    private readonly string _work = Path.Combine(Path.GetTempPath(), "dop-e2e-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Guid.NewGuid().ToString("N")[..6];

    public static string RepoRoot => Metadata("RepoRoot");

    private static string Configuration => Metadata("Configuration");

    private string App => Path.Combine(_work, "app");

    private string Spec => Path.Combine(App, "dop.yaml");

    private string ObjPolicy => Path.Combine(App, "obj", "Debug", "net10.0", "dop", "dop.policy.json");

    private string AppDll => Path.Combine(App, "obj", "Debug", "net10.0", "App.dll");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
            var cached = Path.Combine(NuGetGlobalFolder(), "dopcompiler", _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    [EndToEndFact]
    public void PackedPackageSearchesGeneratesRebuildsIncrementallyAndKeepsTheClassThroughMovesWarningsAndFailures()
    {
        Directory.CreateDirectory(_work);
        var feed = Path.Combine(_work, "feed");

        // Pack with the configuration the tests were built in, so the repo's outputs are reused, not rebuilt.
        var pack = Step("pack", RepoRoot, "pack", Path.Combine(RepoRoot, "src", "DopCompiler.Package", "DopCompiler.Package.csproj"),
            "-c", Configuration, "-p:Version=" + _version, "-o", feed, "-nologo", "-tl:off");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        AssertPackageLayout(Path.Combine(feed, $"DopCompiler.{_version}.nupkg"));

        WriteConsumer(feed);

        // 0. Before the first build, what the IDE sees (no search: DesignTimeBuild=true, as in the IDE): the
        //    generator's info DOPG001 names the class to come instead of leaving bare CS0103s (infos reach the error log).
        var errorLog = Path.Combine(_work, "before-first-build.sarif");
        var pending = Step("before the first build", App, "build", "-nologo", "-v:n", "-tl:off", "-p:DesignTimeBuild=true", "-p:ErrorLog=" + errorLog);
        Assert.DoesNotContain("dop: [", pending.Output);
        Assert.False(File.Exists(ObjPolicy));
        Assert.Contains("the class Dop appears after the first build", File.ReadAllText(errorLog));

        // 1. First build: the search runs, the class is generated, the app runs.
        var first = Step("first build", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches(@"dop: ", first.Output);
        Assert.True(File.Exists(ObjPolicy));
        var firstPolicy = File.ReadAllText(ObjPolicy);
        // The class's names come from the policy, where the tool's spec parser wrote them.
        Assert.Contains("\"class_name\": \"Dop\"", firstPolicy);
        Assert.Contains("layers=4 budget=0.75", RunApp());
        // The trimmed model sits beside the policy and in bin/, where Load() with no argument finds it.
        Assert.True(File.Exists(Path.Combine(App, "obj", "Debug", "net10.0", "dop", "dop.model", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(App, "bin", "Debug", "net10.0", "dop-model", "Dop", "model.safetensors")));
        Assert.Contains("loaded dop-model/Dop", RunApp(["--", FirstImage]));

        // 2. No-op build: the search target is skipped (no tool run at all), nothing is compiled.
        var compiled = File.GetLastWriteTimeUtc(AppDll);
        var second = Step("no-op build", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain("dop: ", second.Output);
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(AppDll));

        // 2b. An input touched without a change: the tool runs, finds the policy up to date and leaves it alone (not even
        //     its timestamp), so nothing recompiles.
        var policyWritten = File.GetLastWriteTimeUtc(ObjPolicy);
        File.SetLastWriteTimeUtc(Path.Combine(App, "val.jsonl"), DateTime.UtcNow);
        var touched = Step("touched input", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Contains("dop: policy is up to date", touched.Output);
        Assert.Equal(policyWritten, File.GetLastWriteTimeUtc(ObjPolicy));
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(AppDll));

        // 3. Budget edited in the spec: the search reruns and the class changes.
        File.WriteAllText(Spec, File.ReadAllText(Spec).Replace("fraction: 0.75", "fraction: 0.85"));
        var budget = Step("budget change", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(budget.ExitCode == 0, budget.ToString());
        Assert.DoesNotContain("policy is up to date", budget.Output);
        Assert.Contains("budget=0.85", RunApp());

        // 4. A property that changes the result: reruns.
        var property = Step("property change", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off", "-p:DopBudget=0.9");
        Assert.True(property.ExitCode == 0, property.ToString());
        Assert.Matches("dop: ", property.Output);
        Assert.Contains("budget=0.9", RunApp("-p:DopBudget=0.9"));

        // 4b. Publish: the trimmed model goes with the app; with the source model gone, the published app still loads it.
        var publishDir = Path.Combine(_work, "published");
        var publish = Step("publish", App, "publish", "-c", "Debug", "--no-restore", "-nologo", "-v:n", "-tl:off", "-p:DopBudget=0.9", "-o", publishDir);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.DoesNotContain("dop: [", publish.Output);
        var source = Path.Combine(App, "model", "model.safetensors");
        var published = Path.Combine(publishDir, "dop-model", "Dop", "model.safetensors");
        Assert.True(File.Exists(published));
        output.WriteLine($"model.safetensors: source {new FileInfo(source).Length} bytes, trimmed {new FileInfo(published).Length} bytes");
        Assert.True(new FileInfo(published).Length < new FileInfo(source).Length);
        var publishedFiles = Directory.GetFiles(publishDir, "*", SearchOption.AllDirectories).Select(f => new FileInfo(f)).ToArray();
        Assert.DoesNotContain(publishedFiles, f => f.Name == "libtorch_python.so");
        output.WriteLine($"published folder (without the unused libtorch files): {publishedFiles.Sum(f => f.Length) / 1e6:F0} MB in {publishedFiles.Length} files; libtorch_cpu.so "
            + $"{publishedFiles.Where(f => f.Name == "libtorch_cpu.so").Sum(f => f.Length) / 1e6:F0} MB; the trimmed model {new FileInfo(published).Length / 1e6:F1} MB");
        var away = Path.Combine(_work, "model-moved-away");
        Directory.Move(Path.Combine(App, "model"), away);
        try
        {
            var ran = DotNetCli.Run(publishDir, null, BuildTimeout, [Path.Combine(publishDir, "App.dll"), FirstImage]);
            Assert.True(ran.ExitCode == 0, ran.ToString());
            output.WriteLine("published app: " + ran.Output.Trim());
            Assert.Contains("loaded dop-model/Dop", ran.Output);
        }
        finally
        {
            Directory.Move(away, Path.Combine(App, "model"));
        }

        // 4b'. Back to the spec's own budget (the publish above solved at DopBudget=0.9): solved from the cached curves.
        var back = Step("back to the spec's budget", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("budget=0.85", RunApp());

        // 4c. Issue 22 item 1: the model folder moved (same bytes) and the spec edited to match, built with warnings as
        //     errors: the tool finds the policy up to date by content hash (no search), only the policy's model name follows,
        //     and no warning (the old DOPG012) keeps the build red.
        Directory.Move(Path.Combine(App, "model"), Path.Combine(App, "weights"));
        File.WriteAllText(Spec, File.ReadAllText(Spec).Replace("model: model", "model: weights"));
        var movedBuild = Step("moved model folder", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off", "-p:TreatWarningsAsErrors=true");
        Assert.True(movedBuild.ExitCode == 0, movedBuild.ToString());
        Assert.Contains("dop: policy is up to date", movedBuild.Output);
        Assert.DoesNotContain("dop: [", movedBuild.Output);
        Assert.DoesNotContain("DOPG012", movedBuild.Output);
        Assert.Contains("\"name\": \"weights\"", File.ReadAllText(ObjPolicy));
        Assert.Contains("budget=0.85", RunApp());

        // 4d. Issue 22 item 3: the first build's inputs again (budget 0.75) with the obj/ policy gone, as on another machine
        //     or configuration, but a warm curve cache: the policy is byte-identical to the cold first build's (the measured
        //     KL comes with the curves), apart from the model folder's new name.
        File.WriteAllText(Spec, File.ReadAllText(Spec).Replace("fraction: 0.85", "fraction: 0.75"));
        File.Delete(ObjPolicy);
        var warm = Step("warm cache", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        Assert.Contains("curves from the cache", warm.Output);
        Assert.Equal(firstPolicy.Replace("\"name\": \"model\"", "\"name\": \"weights\"", StringComparison.Ordinal), File.ReadAllText(ObjPolicy));

        // 4e. Issue 22 item 2: a committed policy gone stale fails a warnings-as-errors build (DOP040 from dop verify).
        File.Copy(ObjPolicy, Path.Combine(App, "committed.policy.json"));
        File.WriteAllText(Spec, File.ReadAllText(Spec).Replace("fraction: 0.75", "fraction: 0.85"));
        var stale = Step("stale committed policy", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off", "-p:DopPolicyFile=committed.policy.json", "-p:TreatWarningsAsErrors=true");
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Matches(new Regex(Regex.Escape(Spec) + @"\s*: error DOP040: "), stale.Output);

        // 5. Broken YAML: a DOP0xx error with file and line, a failed build; the last good policy stays, marked stale.
        var lastGood = File.ReadAllBytes(ObjPolicy);
        File.WriteAllText(Spec, File.ReadAllText(Spec).Replace("fraction: 0.85", "fraction: 1.5"));
        var broken = Step("broken spec", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off");
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Matches(new Regex(Regex.Escape(Spec) + @"\(\d+,\d+\): error DOP0\d\d: "), broken.Output);
        Assert.DoesNotContain("MSB6006", broken.Output);
        Assert.Equal(lastGood, File.ReadAllBytes(ObjPolicy));
        Assert.StartsWith("the last search failed: DOP0", File.ReadAllText(Path.ChangeExtension(ObjPolicy, ".stale")), StringComparison.Ordinal);

        // 5b. What the IDE then sees (no search): the class from the last good policy still compiles, with warning DOPG013.
        var ide = Step("after the failed search, no search", App, "build", "--no-restore", "-nologo", "-v:n", "-tl:off", "-p:DesignTimeBuild=true");
        Assert.True(ide.ExitCode == 0, ide.ToString());
        Assert.Contains("warning DOPG013", ide.Output);
        Assert.Contains("budget=0.75", RunApp());

        // 6. dotnet clean removes what the build wrote under obj/, the HTML report and the stale file included.
        Assert.True(File.Exists(Path.ChangeExtension(ObjPolicy, ".html")));
        var clean = Step("clean", App, "clean", "-nologo", "-tl:off");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(ObjPolicy)!));
    }

    private void AssertPackageLayout(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        output.WriteLine("package: " + string.Join(", ", entries.Order()));
        foreach (var expected in new[]
                 {
                     "build/DopCompiler.props", "build/DopCompiler.targets", "buildTransitive/DopCompiler.props", "buildTransitive/DopCompiler.targets",
                     "buildMultiTargeting/DopCompiler.targets", "tasks/netstandard2.0/DopCompiler.Tasks.dll", "tools/net10.0/dop.dll",
                     "tools/net10.0/dop.deps.json", "tools/net10.0/dop.runtimeconfig.json", "analyzers/dotnet/cs/DopCompiler.Generator.dll",
                     "lib/net10.0/DopCompiler.Runtime.dll",
                 })
        {
            Assert.Contains(expected, entries);
        }

        Assert.DoesNotContain(entries, e => e.EndsWith("TorchSharp.dll", StringComparison.Ordinal) || e.EndsWith(".so", StringComparison.Ordinal) || e.Contains("/runtimes/", StringComparison.Ordinal));
        using var nuspec = new StreamReader(zip.GetEntry("DopCompiler.nuspec")!.Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains($"<dependency id=\"TorchSharp\" version=\"[{Metadata("TorchSharpVersion")}]\"", text);
        Assert.Contains($"<dependency id=\"libtorch-cpu-linux-x64\" version=\"[{Metadata("LibTorchVersion")}]\"", text);
        Assert.Contains("build/DopCompiler.Versions.props", entries);
        using (var versions = new StreamReader(zip.GetEntry("build/DopCompiler.Versions.props")!.Open()))
        {
            Assert.Contains($"<_DopTorchSharpVersion>{Metadata("TorchSharpVersion")}</_DopTorchSharpVersion>", versions.ReadToEnd());
        }

        Assert.Contains("<license type=\"expression\">MIT</license>", text);
        Assert.Contains("<readme>README.md</readme>", text);
        Assert.Contains("README.md", entries);
    }

    private void WriteConsumer(string feed)
    {
        Directory.CreateDirectory(App);
        DotNetCli.Isolate(_work);
        File.WriteAllText(Path.Combine(_work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="dop-e2e" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(App, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <!-- libtorch is ~600 MB: link it into bin/ instead of copying. -->
                <CreateHardLinksForCopyLocalIfPossible>true</CreateHardLinksForCopyLocalIfPossible>
                <CreateHardLinksForPublishFilesIfPossible>true</CreateHardLinksForPublishFilesIfPossible>
                <SatelliteResourceLanguages>en</SatelliteResourceLanguages>
                <DopCacheDir>{Path.Combine(_work, "curve-cache")}</DopCacheDir>
              </PropertyGroup>
              <!-- README, "Published size": libtorch files TorchSharp never loads stay out of the publish (the published app must still run). -->
              <Target Name="DropUnusedLibTorch" AfterTargets="ComputeResolvedFilesToPublishList">
                <ItemGroup>
                  <ResolvedFileToPublish Remove="@(ResolvedFileToPublish)"
                      Condition="'%(Filename)' == 'libtorch_python' or '%(Filename)' == 'libjitbackend_test' or '%(Filename)' == 'libtorchbind_test' or '%(Filename)' == 'libbackend_with_compiler' or '%(Filename)' == 'libaoti_custom_ops' or '%(Filename)' == 'libnnapi_backend'" />
                </ItemGroup>
              </Target>
              <ItemGroup>
                <PackageReference Include="DopCompiler" Version="{_version}" />
                <DopModel Include="dop.yaml" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(App, "Program.cs"), """
            using System.Globalization;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"class={typeof(DopGenerated.Dop).FullName} layers={DopGenerated.Dop.LayerCount} budget={DopGenerated.Dop.BudgetAsked}"));
            // `dotnet run` forwards unknown options such as -nologo to the app: the image is the argument that is a file.
            if (args.FirstOrDefault(File.Exists) is { } image)
            {
                // The trimmed model the build copied next to the app: no path needed.
                using var model = DopGenerated.Dop.Load();
                var tokens = model.Generate(image, [1, 5, 9, DopGenerated.Dop.ImageTokenId, 20, 31, 7], 3);
                Console.WriteLine($"loaded {DopGenerated.Dop.ModelFolder} generated={string.Join(",", tokens)}");
            }
            """);

        // A random-weight tiny LLaVA with the sample's tokenizer, and four validation samples with their images.
        var model = Path.Combine(App, "model");
        var vocabulary = 231;
        TinyLlavaCheckpoint.Write(model, new TinyLlavaOptions { Vocab = vocabulary });
        var config = Path.Combine(model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace($"\"image_token_index\": {vocabulary - 1}", "\"image_token_index\": 4"));
        foreach (var file in new[] { "vocab.json", "merges.txt", "special_tokens_map.json" })
        {
            File.Copy(Path.Combine(RepoRoot, "samples", "ShapesVlm", "model", file), Path.Combine(model, file));
        }

        var data = Path.Combine(RepoRoot, "samples", "ShapesVlm", "data");
        var lines = File.ReadLines(Path.Combine(data, "validation.jsonl")).Take(4).ToArray();
        Directory.CreateDirectory(Path.Combine(App, "images"));
        foreach (var line in lines)
        {
            var image = Regex.Match(line, "\"image\":\"([^\"]+)\"").Groups[1].Value;
            File.Copy(Path.Combine(data, image), Path.Combine(App, image));
        }

        File.WriteAllLines(Path.Combine(App, "val.jsonl"), lines);
        FirstImage = Path.Combine(App, Regex.Match(lines[0], "\"image\":\"([^\"]+)\"").Groups[1].Value);
        File.WriteAllText(Spec, """
            model: model
            validation: val.jsonl
            budget:
              fraction: 0.75
            divergence:
              max_positions: 2
            seed: 0
            """);
    }

    /// <summary>A validation image, passed to the app so it loads the model and generates.</summary>
    private string FirstImage { get; set; } = "";

    private string RunApp(params string[] properties)
    {
        var run = DotNetCli.Run(App, null, BuildTimeout, ["run", "--no-build", "-nologo", .. properties]);
        Assert.True(run.ExitCode == 0, run.ToString());
        output.WriteLine("app: " + run.Output.Trim());
        return run.Output;
    }

    private DotNetCli.Result Step(string name, string directory, params string[] arguments)
    {
        var result = DotNetCli.Run(directory, null, BuildTimeout, arguments);
        output.WriteLine($"{name}: exit {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s");
        foreach (var line in result.Output.Split('\n').Where(l => l.Contains("dop: ", StringComparison.Ordinal) || l.Contains("DOP0", StringComparison.Ordinal)).Take(40))
        {
            output.WriteLine("  " + line.Trim());
        }

        return result;
    }

    private static string NuGetGlobalFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string Metadata(string key) =>
        typeof(PackageEndToEndTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
