namespace DopCompiler.Architecture.Tests;

/// <summary>The dependency directions of docs/architecture.md, checked on the .csproj files as written.</summary>
public sealed class DependencyRuleTests
{
    private static readonly ProjectGraph Graph = ProjectGraph.Read(Repository.PathOf("src"));

    public static TheoryData<string> Rules => new(DependencyRule.All.Select(r => r.Project));

    [Theory]
    [MemberData(nameof(Rules))]
    public void NoProjectReachesWhatItsRuleForbids(string project)
    {
        var rule = DependencyRule.All.Single(r => r.Project == project);
        Assert.Empty(rule.Violations(Graph));
    }

    [Fact]
    public void AForbiddenReferenceTwoProjectsAwayIsReported()
    {
        // Runtime -> Images -> Spec -> YamlDotNet: both the project and the package it brings are named.
        var graph = new ProjectGraph(
        [
            new ProjectFile("DopCompiler.Runtime", ["DopCompiler.Images"], [], []),
            new ProjectFile("DopCompiler.Images", ["DopCompiler.Spec"], ["StbImageSharp"], []),
            new ProjectFile("DopCompiler.Spec", [], ["YamlDotNet"], []),
        ]);
        var violations = DependencyRule.All.Single(r => r.Project == "DopCompiler.Runtime").Violations(graph);
        Assert.Equal(2, violations.Count);
        Assert.StartsWith("DopCompiler.Runtime -> DopCompiler.Spec ", violations[0], StringComparison.Ordinal);
        Assert.StartsWith("DopCompiler.Runtime -> YamlDotNet ", violations[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ALinkedSourceCountsAsAReference()
    {
        var graph = new ProjectGraph([new ProjectFile("DopCompiler.Generator", [], [], ["../DopCompiler.Model/Modules/DecoderBlocks.cs"])]);
        var violation = Assert.Single(DependencyRule.All.Single(r => r.Project == "DopCompiler.Generator").Violations(graph));
        Assert.StartsWith("DopCompiler.Generator -> DopCompiler.Model ", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void EverySrcProjectHasARuleAndALineInTheArchitectureDoc()
    {
        var doc = File.ReadAllText(Repository.PathOf("docs/architecture.md"));
        var exempt = new[] { "DopCompiler.Cli", "DopCompiler.Search", "DopCompiler.Package" }; // top of the graph: may reach anything below
        foreach (var project in Graph.Names)
        {
            Assert.Contains("`" + project + "`", doc, StringComparison.Ordinal);
            Assert.True(exempt.Contains(project) || DependencyRule.All.Any(r => r.Project == project), $"{project} has no dependency rule");
        }
    }

    [Fact]
    public void NativeLibrariesAreLoadedOnlyInModelNative()
    {
        var nativeFolder = Path.Combine("src", "DopCompiler.Model", "Native") + Path.DirectorySeparatorChar;
        var loaders = SourceFiles.Under("src")
            .Where(f => File.ReadLines(f).Any(l => l.Contains("NativeLibrary.", StringComparison.Ordinal) && !l.TrimStart().StartsWith("//", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .ToArray();
        Assert.NotEmpty(loaders);
        Assert.All(loaders, f => Assert.StartsWith(nativeFolder, f, StringComparison.Ordinal));
    }
}
