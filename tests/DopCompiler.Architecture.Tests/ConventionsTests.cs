using System.Text.RegularExpressions;

namespace DopCompiler.Architecture.Tests;

/// <summary>
/// The defaults that MSBuild must repeat because it cannot read <see cref="DopConventions"/>: the package's props and
/// the C# home have to say the same, or a project without metadata gets another class than the docs promise.
/// </summary>
public sealed class ConventionsTests
{
    private static string PropsDefault(string metadata)
    {
        var props = File.ReadAllText(Repository.PathOf("build/DopCompiler.props"));
        var definition = Regex.Match(props, @"<ItemDefinitionGroup>\s*<DopModel>(?<body>.*?)</DopModel>", RegexOptions.Singleline);
        Assert.True(definition.Success, "build/DopCompiler.props has no DopModel item definition");
        var value = Regex.Match(definition.Groups["body"].Value, $"<{metadata}>(?<v>[^<]*)</{metadata}>");
        Assert.True(value.Success, $"the DopModel item definition sets no {metadata}");
        return value.Groups["v"].Value;
    }

    [Fact]
    public void PropsVisibilityDefaultIsTheConventionsOne()
    {
        Assert.Equal(DopConventions.DefaultVisibility, PropsDefault("Visibility"));
    }

    [Fact]
    public void PropsLeaveTheNamespaceToTheConventions()
    {
        // Empty metadata: the spec's output.namespace, else DopConventions.DefaultNamespace, decides (one home).
        Assert.Equal("", PropsDefault("Namespace"));
        Assert.DoesNotContain($"<Namespace>{DopConventions.DefaultNamespace}</Namespace>", File.ReadAllText(Repository.PathOf("build/DopCompiler.targets")));
    }
}
