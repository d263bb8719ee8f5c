using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Tests;

/// <summary><c>budgets:</c>, several named budgets in one spec (one class with a variant per budget), and its errors.</summary>
public sealed class BudgetsSpecTests : IDisposable
{
    private const string Head = "model: model\nvalidation: val.jsonl\n";

    private readonly TempFolder _folder = new TempFolder().WithModelAndValidation();

    public void Dispose() => _folder.Dispose();

    private SpecResult<DopSpec> Parse(string lines) => DopSpecParser.Parse(Head + lines, _folder.PathOf("dop.yaml"));

    [Fact]
    public void NamedBudgetsParseInSpecOrderTheFirstIsTheDefaultBudget()
    {
        var spec = Parse("budgets:\n  fast: {fraction: 0.2}\n  exact:\n    max_accuracy_drop: 0.005\n    price: latency\n  middle: {tflops: 1.5, on_unreachable: cheapest}\n").GetValueOrThrow();
        var budgets = spec.Budgets!.Value;
        Assert.Equal(["fast", "exact", "middle"], budgets.Select(b => b.Name));
        Assert.Equal(new BudgetSpec { Kind = BudgetKind.Fraction, Value = 0.2 }, budgets[0].Budget);
        Assert.Equal(new BudgetSpec { Kind = BudgetKind.MaxAccuracyDrop, Value = 0.005, Price = BudgetPrice.Latency }, budgets[1].Budget);
        Assert.Equal(new BudgetSpec { Kind = BudgetKind.Tflops, Value = 1.5, OnUnreachable = UnreachableBudget.Cheapest }, budgets[2].Budget);
        Assert.Equal(budgets[0].Budget, spec.Budget);
    }

    [Fact]
    public void TheSingleBudgetFormHasNoNamedBudgets()
    {
        var spec = Parse("budget:\n  fraction: 0.3\n").GetValueOrThrow();
        Assert.Null(spec.Budgets);
        Assert.Equal(0.3, spec.Budget.Value);
    }

    [Theory]
    [InlineData("budget:\n  fraction: 0.3\nbudgets:\n  fast: {fraction: 0.2}\n", "DOP026", 5, 1)]
    [InlineData("budgets: {}\n", "DOP024", 3, 10)]
    [InlineData("budgets:\n  - fraction: 0.2\n", "DOP022", 4, 3)]
    [InlineData("budgets:\n  1fast: {fraction: 0.2}\n", "DOP028", 4, 3)]
    [InlineData("budgets:\n  fast_mode: {fraction: 0.2}\n  fastMode: {fraction: 0.3}\n", "DOP028", 5, 3)]
    [InlineData("budgets:\n  fast: {fraction: 0.2}\n  fast: {fraction: 0.3}\n", "DOP027", 5, 3)]
    [InlineData("budgets:\n  fast: {fraction: 2}\n", "DOP023", 4, 20)]
    [InlineData("budgets:\n  fast: {fractoin: 0.2}\n", "DOP021", 4, 10)]
    [InlineData("budgets:\n  fast:\n", "DOP024", 4, 3)]
    [InlineData("budgets:\n  fast: {fraction: 0.2, max_kl: 0.1}\n", "DOP026", 4, 25)]
    public void BadNamedBudgetsAreCodedAtTheirPlace(string lines, string code, int line, int column)
    {
        var result = Parse(lines);
        Assert.Null(result.Value);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((code, line, column), (diagnostic.Code, diagnostic.Line, diagnostic.Column));
    }

    [Fact]
    public void ABudgetsErrorNamesTheBudget()
    {
        var diagnostic = Assert.Single(Parse("budgets:\n  fast: {fraction: 0.2}\n  exact: {}\n").Diagnostics);
        Assert.Equal("DOP024", diagnostic.Code);
        Assert.Contains("budget 'exact'", diagnostic.Message, StringComparison.Ordinal);
    }
}
