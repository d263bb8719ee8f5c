using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Tests;

/// <summary>
/// Regressions from the malformed-input run (issue 20), spec side: each bad input ends in a coded diagnostic at the
/// place the user has to edit, never a crash.
/// </summary>
public sealed class MalformedSpecTests : IDisposable
{
    private const string Minimal = "model: model\nvalidation: val.jsonl\nbudget:\n  fraction: 0.14\n";

    private readonly TempFolder _folder = new TempFolder().WithModelAndValidation();

    public void Dispose() => _folder.Dispose();

    private SpecResult<DopSpec> Parse(string yaml) => DopSpecParser.Parse(yaml, _folder.PathOf("dop.yaml"));

    [Theory]
    [InlineData("flow")]
    [InlineData("block")]
    public void DeeplyNestedYamlIsDop020AtTheTooDeepNodeNotAStackOverflow(string style)
    {
        // 100,000 levels overflowed the recursive node walk (exit 134, no code) before the depth limit.
        var yaml = style == "flow"
            ? "model: " + new string('[', 100_000) + new string(']', 100_000) + "\n"
            : string.Concat(Enumerable.Range(0, 3_000).Select(i => new string(' ', i) + "k:\n")) + new string(' ', 3_000) + "v\n";
        var result = Parse(yaml);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(SpecDiagnosticCodes.YamlSyntax, diagnostic.Code);
        Assert.Contains("deeper than 64", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(diagnostic.Line >= 1);
        if (style == "block")
        {
            // Line n opens the mapping at depth n; the one below the 64th level is the first too deep.
            Assert.Equal(64, diagnostic.Line);
        }
    }

    [Fact]
    public void TabIndentedLineIsReportedAtTheTabNotAtLineOne()
    {
        var result = Parse("model: model\nvalidation: val.jsonl\nbudget:\n\tfraction: 0.14\n");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(SpecDiagnosticCodes.YamlSyntax, diagnostic.Code);
        Assert.Equal((4, 1), (diagnostic.Line, diagnostic.Column));
        Assert.Contains("tab", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceLocationIsKeptForErrorsFoundAfterParsing()
    {
        var spec = Parse(Minimal + "device: cuda\n").GetValueOrThrow();
        Assert.Equal(new SpecLocation(5, 9), spec.DeviceAt);
        Assert.Null(Parse(Minimal).GetValueOrThrow().DeviceAt);
    }

    [Theory]
    [InlineData("-0.2", "DOP023")]
    [InlineData("1.5", "DOP023")]
    [InlineData("0", "DOP023")]
    [InlineData("NaN", "DOP022")]
    [InlineData(".nan", "DOP022")]
    [InlineData("0,5", "DOP022")]
    [InlineData("", "DOP022")]
    [InlineData("abc", "DOP022")]
    public void BudgetValueCommandLineTextGetsTheSpecsChecks(string text, string code)
    {
        Assert.False(BudgetValue.TryParse(text, BudgetKind.Fraction, "--budget", out _, out var error));
        Assert.Equal(code, error.Code);
        Assert.Contains("--budget", error.Message, StringComparison.Ordinal);

        // The same text in the spec gets the same code.
        var inSpec = Parse($"model: model\nvalidation: val.jsonl\nbudget:\n  fraction: {(text.Length == 0 ? "''" : text)}\n");
        Assert.Equal(code, Assert.Single(inSpec.Diagnostics).Code);
    }

    [Theory]
    [InlineData("0.5", BudgetKind.Fraction, 0.5)]
    [InlineData("1", BudgetKind.LatencyFraction, 1.0)]
    [InlineData("2.5e1", BudgetKind.Tflops, 25.0)]
    public void BudgetValueAcceptsWhatTheSpecAccepts(string text, BudgetKind kind, double expected)
    {
        Assert.True(BudgetValue.TryParse(text, kind, "--budget", out var value, out _));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void OnUnreachableDefaultsToErrorCheapestOptsInOtherWordsAreDop023()
    {
        Assert.Equal(UnreachableBudget.Error, Parse(Minimal).GetValueOrThrow().Budget.OnUnreachable);
        Assert.Equal(UnreachableBudget.Cheapest, Parse(Minimal + "  on_unreachable: cheapest\n").GetValueOrThrow().Budget.OnUnreachable);
        var bad = Assert.Single(Parse(Minimal + "  on_unreachable: warn\n").Diagnostics);
        Assert.Equal((SpecDiagnosticCodes.OutOfRange, 5, 19), (bad.Code, bad.Line, bad.Column));
    }

    [Fact]
    public void LibTorchDirWithoutLibTorchIsDop025AtItsLine()
    {
        Directory.CreateDirectory(_folder.PathOf("empty-lib"));
        var diagnostic = Assert.Single(Parse(Minimal + "libtorch_dir: empty-lib\n").Diagnostics);
        Assert.Equal((SpecDiagnosticCodes.FileNotFound, 5, 15), (diagnostic.Code, diagnostic.Line, diagnostic.Column));
        Assert.Contains("libtorch.so", diagnostic.Message, StringComparison.Ordinal);
    }
}
