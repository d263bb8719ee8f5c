using System.Reflection;

namespace DopCompiler.Architecture.Tests;

/// <summary>The checkout the tests read, as recorded at build time.</summary>
internal static class Repository
{
    public static string Root { get; } =
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
