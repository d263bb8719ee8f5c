using System.Reflection;

namespace DopCompiler.Search;

/// <summary>The tool's version, part of every cache key and policy file (a new tool never reuses an old tool's curves).</summary>
public static class ToolVersion
{
    public static string Current { get; } =
        typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
