namespace DopCompiler.Architecture.Tests;

/// <summary>The C# sources of the checkout (build outputs left out).</summary>
internal static class SourceFiles
{
    public static IEnumerable<string> Under(string relativeFolder) =>
        Directory.GetFiles(Repository.PathOf(relativeFolder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .Order(StringComparer.Ordinal);

    private static bool IsBuildOutput(string path)
    {
        var separator = Path.DirectorySeparatorChar;
        return path.Contains($"{separator}obj{separator}", StringComparison.Ordinal) || path.Contains($"{separator}bin{separator}", StringComparison.Ordinal);
    }
}
