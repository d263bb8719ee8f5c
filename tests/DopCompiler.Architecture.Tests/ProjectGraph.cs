using System.Xml.Linq;

namespace DopCompiler.Architecture.Tests;

/// <summary>
/// The src/ projects as their .csproj files declare them: project references (direct and transitive), package
/// references and linked source files. Read as XML, so a rule holds for the files as written, not for one build.
/// </summary>
internal sealed class ProjectGraph
{
    private readonly Dictionary<string, ProjectFile> _projects;

    public ProjectGraph(IEnumerable<ProjectFile> projects)
    {
        _projects = projects.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => _projects.Keys;

    public static ProjectGraph Read(string srcFolder) =>
        new(Directory.GetFiles(srcFolder, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(ProjectFile.Read));

    public ProjectFile this[string name] => _projects[name];

    /// <summary>The projects <paramref name="name"/> references, directly or through others.</summary>
    public IReadOnlySet<string> ProjectsReachedFrom(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(_projects[name].ProjectReferences);
        while (stack.TryPop(out var next))
        {
            if (seen.Add(next) && _projects.TryGetValue(next, out var project))
            {
                foreach (var reference in project.ProjectReferences)
                {
                    stack.Push(reference);
                }
            }
        }

        return seen;
    }

    /// <summary>The packages <paramref name="name"/> gets: its own and those of every project it reaches.</summary>
    public IReadOnlySet<string> PackagesReachedFrom(string name) =>
        ProjectsReachedFrom(name).Where(_projects.ContainsKey).Select(p => _projects[p]).Append(_projects[name])
            .SelectMany(p => p.PackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One .csproj: its name and what it references, as written.</summary>
internal sealed record ProjectFile(string Name, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences, IReadOnlyList<string> LinkedSources)
{
    public static ProjectFile Read(string path)
    {
        var xml = XDocument.Load(path);
        IEnumerable<string> Items(string kind) =>
            xml.Descendants(kind).Select(e => (string?)e.Attribute("Include")).Where(i => i is not null).Select(i => i!);
        return new ProjectFile(
            Path.GetFileNameWithoutExtension(path),
            Items("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Replace('\\', '/'))).ToArray(),
            Items("PackageReference").ToArray(),
            Items("Compile").Where(c => c.StartsWith("..", StringComparison.Ordinal)).Select(c => c.Replace('\\', '/')).ToArray());
    }
}
