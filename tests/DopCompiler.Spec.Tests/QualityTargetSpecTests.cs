using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Tests;

/// <summary>The quality-target budget keys (<c>max_accuracy_drop</c>, <c>max_kl</c>, <c>price</c>) and their errors.</summary>
public sealed class QualityTargetSpecTests : IDisposable
{
    private const string Head = "model: model\nvalidation: val.jsonl\nbudget:\n";

    private readonly TempFolder _folder = new TempFolder().WithModelAndValidation();

    public void Dispose() => _folder.Dispose();

    private SpecResult<DopSpec> Parse(string budgetLines) => DopSpecParser.Parse(Head + budgetLines, _folder.PathOf("dop.yaml"));

    [Theory]
    [InlineData("  max_accuracy_drop: 0.01\n", BudgetKind.MaxAccuracyDrop, 0.01, BudgetPrice.Flops)]
    [InlineData("  max_accuracy_drop: 0\n", BudgetKind.MaxAccuracyDrop, 0.0, BudgetPrice.Flops)]
    [InlineData("  max_kl: 0.05\n  price: latency\n", BudgetKind.MaxKl, 0.05, BudgetPrice.Latency)]
    [InlineData("  price: flops\n  max_kl: 2\n", BudgetKind.MaxKl, 2.0, BudgetPrice.Flops)]
    public void QualityTargetsParseWithTheirPrice(string lines, BudgetKind kind, double value, BudgetPrice price)
    {
        var budget = Parse(lines).GetValueOrThrow().Budget;
        Assert.Equal(new BudgetSpec { Kind = kind, Value = value, Price = price }, budget);
        Assert.True(budget.IsQualityTarget);
        Assert.Equal(price == BudgetPrice.Latency, budget.PricedInTime);
    }

    [Fact]
    public void CostBudgetsAreNotQualityTargetsAndKeepTheirPricing()
    {
        var fraction = Parse("  fraction: 0.2\n").GetValueOrThrow().Budget;
        Assert.False(fraction.IsQualityTarget);
        Assert.False(fraction.PricedInTime);
        Assert.True(Parse("  latency_fraction: 0.2\n").GetValueOrThrow().Budget.PricedInTime);
    }

    [Theory]
    [InlineData("  max_accuracy_drop: 1\n", "DOP023", 4, 22)]
    [InlineData("  max_accuracy_drop: -0.01\n", "DOP023", 4, 22)]
    [InlineData("  max_accuracy_drop: 2\n", "DOP023", 4, 22)]
    [InlineData("  max_kl: -1\n", "DOP023", 4, 11)]
    [InlineData("  max_kl: .inf\n", "DOP022", 4, 11)]
    [InlineData("  max_kl: lots\n", "DOP022", 4, 11)]
    [InlineData("  max_kl: 0.1\n  price: time\n", "DOP023", 5, 10)]
    [InlineData("  fraction: 0.2\n  max_kl: 0.1\n", "DOP026", 5, 3)]
    [InlineData("  max_accuracy_drop: 0.01\n  max_kl: 0.1\n", "DOP026", 5, 3)]
    [InlineData("  fraction: 0.2\n  price: latency\n", "DOP026", 5, 3)]
    [InlineData("  max_kl: 0.1\n  on_unreachable: cheapest\n", "DOP026", 5, 3)]
    [InlineData("  price: latency\n", "DOP024", 4, 3)]
    public void BadQualityTargetsAreCodedAtTheirPlace(string lines, string code, int line, int column)
    {
        var result = Parse(lines);
        Assert.Null(result.Value);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((code, line, column), (diagnostic.Code, diagnostic.Line, diagnostic.Column));
    }

    [Fact]
    public void AccuracyDropOutOfRangeSaysItIsAShare()
    {
        var diagnostic = Assert.Single(Parse("  max_accuracy_drop: 2\n").Diagnostics);
        Assert.Contains("0.01 is one point", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.02", BudgetKind.MaxAccuracyDrop, true)]
    [InlineData("0", BudgetKind.MaxAccuracyDrop, true)]
    [InlineData("1", BudgetKind.MaxAccuracyDrop, false)]
    [InlineData("0.5", BudgetKind.MaxKl, true)]
    [InlineData("-0.5", BudgetKind.MaxKl, false)]
    public void CommandLineOverrideOfAQualityTargetGetsTheTargetsRange(string text, BudgetKind kind, bool ok)
    {
        Assert.Equal(ok, BudgetValue.TryParse(text, kind, "--budget", out _, out var error));
        Assert.Equal(ok ? null : SpecDiagnosticCodes.OutOfRange, error.Code);
    }
}
