namespace DopCompiler.Architecture.Tests;

/// <summary>
/// One rule of docs/architecture.md: <see cref="Project"/> must not reach (directly or through other projects) any
/// project or package whose name starts with one of <see cref="Forbidden"/>.
/// </summary>
internal sealed record DependencyRule(string Project, string Why, params string[] Forbidden)
{
    /// <summary>The rules that must never break; docs/architecture.md states each one.</summary>
    public static IReadOnlyList<DependencyRule> All { get; } =
    [
        new("DopCompiler.Generator", "runs inside the compiler: no TorchSharp, no model code, no project dlls beside it",
            "TorchSharp", "libtorch", "DopCompiler.Model", "DopCompiler.Runtime", "DopCompiler.Search", "DopCompiler.Spec", "DopCompiler.Inputs", "DopCompiler.Cli", "YamlDotNet"),
        new("DopCompiler.Tasks", "loads in every MSBuild (also .NET Framework): the heavy work runs out of process in the dop tool",
            "TorchSharp", "libtorch", "DopCompiler.Model", "DopCompiler.Runtime", "DopCompiler.Search", "DopCompiler.Spec", "DopCompiler.Inputs", "DopCompiler.Cli", "YamlDotNet"),
        new("DopCompiler.Model", "the math and the checkpoints know nothing of MSBuild, Roslyn or the spec",
            "Microsoft.Build", "Microsoft.CodeAnalysis", "DopCompiler.Tasks", "DopCompiler.Generator", "DopCompiler.Spec", "DopCompiler.Search", "YamlDotNet"),
        new("DopCompiler.Runtime", "an app that ships a generated class carries no spec parser and no YAML library",
            "DopCompiler.Spec", "DopCompiler.Search", "DopCompiler.Cli", "YamlDotNet", "Microsoft.Build", "Microsoft.CodeAnalysis"),
        new("DopCompiler.Inputs", "what the runtime reads of the inputs: no TorchSharp, no YAML",
            "TorchSharp", "libtorch", "DopCompiler.Model", "DopCompiler.Spec", "YamlDotNet"),
        new("DopCompiler.Spec", "the spec is read without TorchSharp (the MSBuild side and tests stay light)",
            "TorchSharp", "libtorch", "DopCompiler.Model"),
        new("DopCompiler.Policy", "the policy schema is compiled into the generator: netstandard2.0, no dependencies",
            "TorchSharp", "DopCompiler.", "YamlDotNet", "System.Text.Json"),
    ];

    /// <summary>What in the graph breaks this rule: "A -> B" lines, empty when it holds.</summary>
    public IReadOnlyList<string> Violations(ProjectGraph graph)
    {
        if (!graph.Names.Contains(Project))
        {
            return [$"{Project}: no such project under src/"];
        }

        var reached = graph.ProjectsReachedFrom(Project).Concat(graph.PackagesReachedFrom(Project))
            .Concat(graph[Project].LinkedSources.Select(l => l.Split('/').FirstOrDefault(s => s.StartsWith("DopCompiler.", StringComparison.Ordinal)) ?? ""));
        return reached.Where(r => r.Length > 0 && r != Project && Forbidden.Any(f => r.StartsWith(f, StringComparison.OrdinalIgnoreCase)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(r => $"{Project} -> {r} ({Why})").ToArray();
    }
}
