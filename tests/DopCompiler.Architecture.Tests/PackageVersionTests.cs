using System.Text.RegularExpressions;

namespace DopCompiler.Architecture.Tests;

/// <summary>Package versions have one home, Directory.Packages.props; everything else derives them at build or pack time.</summary>
public sealed class PackageVersionTests
{
    [Theory]
    [InlineData("TorchSharpVersion")]
    [InlineData("LibTorchVersion")]
    public void APinnedVersionIsWrittenOnlyInDirectoryPackagesProps(string property)
    {
        var props = File.ReadAllText(Repository.PathOf("Directory.Packages.props"));
        var version = Regex.Match(props, $"<{property}>(?<v>[^<]+)</{property}>").Groups["v"].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);

        var copies = BuildAndSourceFiles()
            .Where(f => Path.GetFileName(f) != "Directory.Packages.props")
            .Where(f => File.ReadAllText(f).Contains(version, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .ToList();
        Assert.Empty(copies);
    }

    private static IEnumerable<string> BuildAndSourceFiles()
    {
        string[] extensions = [".cs", ".csproj", ".props", ".targets"];
        var separator = Path.DirectorySeparatorChar;
        return new[] { "src", "build", "tests", "samples", "bench" }
            .SelectMany(folder => Directory.GetFiles(Repository.PathOf(folder), "*", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Repository.Root, "*.props").Concat(Directory.GetFiles(Repository.Root, "*.targets")))
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal))
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal));
    }
}
