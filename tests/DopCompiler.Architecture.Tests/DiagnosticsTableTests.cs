using System.Text.RegularExpressions;

namespace DopCompiler.Architecture.Tests;

/// <summary>README's diagnostics table lists exactly the DOP/DOPG codes the code can raise.</summary>
public sealed partial class DiagnosticsTableTests
{
    [Fact]
    public void TheReadmeTableListsExactlyTheCodesInTheCode()
    {
        var documented = DocumentedCodes(File.ReadAllText(Repository.PathOf("README.md")));
        var raised = RaisedCodes();
        Assert.Empty(raised.Except(documented).Order(StringComparer.Ordinal)); // raised but not in the table
        Assert.Empty(documented.Except(raised).Order(StringComparer.Ordinal)); // in the table but nothing raises it
    }

    [Fact]
    public void RangesInTheTableExpandToEveryCodeBetween()
    {
        var codes = DocumentedCodes("| DOP001 | a | b |\n| <a id=\"dop020\"></a><a id=\"dop021\"></a>DOP020–DOP023 | c | d |\n| DOPG001–DOPG002 | e | f |\nDOP099 outside the table");
        Assert.Equal(["DOP001", "DOP020", "DOP021", "DOP022", "DOP023", "DOPG001", "DOPG002"], codes.Order(StringComparer.Ordinal));
    }

    /// <summary>Codes in the first cell of README table rows; "DOP020–DOP037" stands for every code between.</summary>
    internal static HashSet<string> DocumentedCodes(string markdown)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(markdown))
        {
            var (prefix, first) = (row.Groups["prefix"].Value, int.Parse(row.Groups["first"].Value, System.Globalization.CultureInfo.InvariantCulture));
            var last = row.Groups["last"].Success ? int.Parse(row.Groups["last"].Value, System.Globalization.CultureInfo.InvariantCulture) : first;
            for (var n = first; n <= last; n++)
            {
                codes.Add($"{prefix}{n:000}");
            }
        }

        return codes;
    }

    /// <summary>Codes inside string literals of src/ (constants, messages) and the Code attributes of build/'s targets.</summary>
    private static HashSet<string> RaisedCodes()
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in SourceFiles.Under("src"))
        {
            foreach (var line in File.ReadLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)))
            {
                foreach (Match literal in StringLiteral().Matches(line))
                {
                    codes.UnionWith(Code().Matches(literal.Value).Select(m => m.Value));
                }
            }
        }

        foreach (var file in Directory.GetFiles(Repository.PathOf("build"), "*.targets").Concat(Directory.GetFiles(Repository.PathOf("build"), "*.props")))
        {
            codes.UnionWith(CodeAttribute().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value));
        }

        return codes;
    }

    // Anchors before the code (<a id="dop040"></a>DOP040: the targets of the diagnostics' HelpLinks) are skipped.
    [GeneratedRegex(@"^\|\s*(?:<a id=""[^""]*""></a>)*(?<prefix>DOPG?)(?<first>\d{3})(?:\s*[–-]\s*DOPG?(?<last>\d{3}))?\s*\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\bDOPG?\d{3}\b")]
    private static partial Regex Code();

    [GeneratedRegex(@"Code=""(DOPG?\d{3})""")]
    private static partial Regex CodeAttribute();
}
