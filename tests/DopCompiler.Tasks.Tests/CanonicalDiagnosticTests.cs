namespace DopCompiler.Tasks.Tests;

public sealed class CanonicalDiagnosticTests
{
    [Fact]
    public void ErrorWithLineAndColumnIsParsed()
    {
        var d = CanonicalDiagnostic.TryParse("/src/my app/dop.yaml(12,5): error DOP023: 'fraction' must be in (0, 1], found 1.5.")!;
        Assert.Equal("/src/my app/dop.yaml", d.Origin);
        Assert.True(d.IsError);
        Assert.Equal("DOP023", d.Code);
        Assert.Equal(12, d.Line);
        Assert.Equal(5, d.Column);
        Assert.Equal("'fraction' must be in (0, 1], found 1.5.", d.Text);
        Assert.False(d.OriginIsTool);
    }

    [Fact]
    public void WarningWithoutLocationIsParsed()
    {
        var d = CanonicalDiagnostic.TryParse("dop.yaml: warning DOP040: the committed policy p.json was made for another model/spec (hash a vs b)")!;
        Assert.True(d.IsWarning);
        Assert.Equal("dop.yaml", d.Origin);
        Assert.Equal(0, d.Line);
        Assert.Equal("DOP040", d.Code);
    }

    [Fact]
    public void LineOnlyAndFullSpanLocationsAreParsed()
    {
        var lineOnly = CanonicalDiagnostic.TryParse("a.jsonl(3): error DOP031: bad json")!;
        Assert.Equal((3, 0), (lineOnly.Line, lineOnly.Column));
        var span = CanonicalDiagnostic.TryParse("a.yaml(3,4,5,6): warning DOP021: unknown key")!;
        Assert.Equal((3, 4, 5, 6), (span.Line, span.Column, span.EndLine, span.EndColumn));
    }

    [Fact]
    public void InternalErrorNamesTheTool()
    {
        var d = CanonicalDiagnostic.TryParse("dop: error DOP099: something broke")!;
        Assert.True(d.OriginIsTool);
        Assert.Equal("DOP099", d.Code);
    }

    [Theory]
    [InlineData("dop: [3/17] curve attention/image: depth 4 (ETA 00:41)")]
    [InlineData("dop: policy is up to date")]
    [InlineData("Unhandled exception. System.InvalidOperationException: boom")]
    [InlineData("")]
    public void OtherLinesAreNotDiagnostics(string line) => Assert.Null(CanonicalDiagnostic.TryParse(line));
}
