using System.Text.RegularExpressions;
using DopCompiler.Spec.Parsing;
using YamlDotNet.Core;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

/// <summary>Reads and checks a <c>dop.yaml</c>; every problem is reported at once, nothing throws for bad input.</summary>
public static partial class DopSpecParser
{
    /// <summary>The top-level keys, in documentation order.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } =
    [
        "model", "validation", "groups", "modules", "budget", "budgets", "flops", "divergence", "grid",
        "device", "precision", "output", "libtorch_dir", "seed", "max_search_minutes",
    ];

    /// <summary>Reads the file at <paramref name="path"/> and parses it.</summary>
    public static SpecResult<DopSpec> Parse(string path)
    {
        if (RegularFiles.Problem(path) is { } irregular)
        {
            return SpecResult<DopSpec>.From(null, [irregular]);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var message = File.Exists(path) ? $"Cannot read the spec: {e.Message}" : "The spec file does not exist.";
            return SpecResult<DopSpec>.From(null, [SpecDiagnostic.At(SpecDiagnosticCodes.FileNotFound, path, 0, 0, message)]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses <paramref name="yamlText"/> as if read from <paramref name="path"/> (relative paths resolve against its folder).</summary>
    public static SpecResult<DopSpec> Parse(string yamlText, string path)
    {
        var reader = new SpecReader(path);
        YNode? root;
        try
        {
            root = YamlLoader.Load(yamlText);
        }
        catch (YamlException e)
        {
            var message = YamlMarkPrefix().Replace(e.Message, "");
            var (line, column) = ((int)e.Start.Line, (int)e.Start.Column);
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndent(yamlText) is { } tab)
            {
                // YamlDotNet places tab errors at the start of the enclosing mapping or scalar (often (1,1)); the tab is the news.
                (line, column) = tab;
                message = "a tab is used for indentation; YAML indents with spaces only";
            }

            reader.Diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.YamlSyntax, path, line, column, $"Invalid YAML: {message}"));
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        if (root is null or YScalar { IsNull: true })
        {
            reader.Diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.YamlSyntax, path, 1, 1, "The spec is empty."));
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        if (root is not YMapping)
        {
            reader.Report(SpecDiagnosticCodes.YamlSyntax, root, $"The spec must be a mapping of keys to values, found {root.KindName}.");
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        var spec = new SpecBuilder(reader, path).Build((YMapping)root);
        var ordered = reader.Diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
        return SpecResult<DopSpec>.From(spec, ordered);
    }

    /// <summary>The 1-based line and column of the first tab in a line's leading whitespace, or null.</summary>
    private static (int Line, int Column)? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && (line[c] == ' ' || line[c] == '\t'); c++)
            {
                if (line[c] == '\t' && line.AsSpan(c).Trim().Length > 0)
                {
                    return (i + 1, c + 1);
                }
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex YamlMarkPrefix();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex GroupNamePattern();
}
