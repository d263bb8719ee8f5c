using System.Globalization;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Spec.Parsing;

namespace DopCompiler.Spec;

/// <summary>
/// The rules a budget value must meet, in one place: the spec's <c>budget:</c> section and the command line's
/// <c>--budget</c> (and so MSBuild's <c>DopBudget</c>) both go through them.
/// </summary>
public static class BudgetValue
{
    /// <summary>
    /// Whether <paramref name="value"/> is a budget of <paramref name="kind"/>: a share in (0, 1], TFLOPs above 0, an
    /// accuracy drop in [0, 1) (a share: 0.01 is one point, so "2" meant as two points is refused), or a KL of at least 0.
    /// </summary>
    public static bool InRange(BudgetKind kind, double value) =>
        double.IsFinite(value) && kind switch
        {
            BudgetKind.Tflops => value > 0,
            BudgetKind.MaxAccuracyDrop => value >= 0 && value < 1,
            BudgetKind.MaxKl => value >= 0,
            _ => value > 0 && value <= 1,
        };

    /// <summary>The range <see cref="InRange"/> accepts, in words.</summary>
    public static string RangeText(BudgetKind kind) => kind switch
    {
        BudgetKind.Tflops => "greater than 0",
        BudgetKind.MaxAccuracyDrop => "in [0, 1) (a share: 0.01 is one point)",
        BudgetKind.MaxKl => "at least 0",
        _ => "in (0, 1]",
    };

    /// <summary>The spec key of <paramref name="kind"/>: <c>fraction</c>, <c>tflops</c>, <c>latency_fraction</c>, <c>max_accuracy_drop</c>, <c>max_kl</c>.</summary>
    public static string KindWord(BudgetKind kind) => kind switch
    {
        BudgetKind.Fraction => "fraction",
        BudgetKind.Tflops => "tflops",
        BudgetKind.LatencyFraction => "latency_fraction",
        BudgetKind.MaxAccuracyDrop => "max_accuracy_drop",
        _ => "max_kl",
    };

    /// <summary>The spec word of <paramref name="price"/>: <c>flops</c> or <c>latency</c>.</summary>
    public static string PriceWord(BudgetPrice price) => price == BudgetPrice.Latency ? "latency" : "flops";

    /// <summary>
    /// Parses <paramref name="text"/> as the spec would parse a plain YAML number (a dot as decimal separator, no
    /// thousands separators, no NaN or infinity) and checks its range for <paramref name="kind"/>. On failure
    /// <paramref name="error"/> holds the code (DOP022 not a number, DOP023 out of range) and a message naming <paramref name="name"/>.
    /// </summary>
    public static bool TryParse(string? text, BudgetKind kind, string name, out double value, out (string Code, string Message) error)
    {
        value = 0;
        error = default;
        var trimmed = text?.Trim() ?? "";
        if (!SpecReader.IsNumber(trimmed))
        {
            error = (SpecDiagnosticCodes.WrongType, $"{name} must be a number written with a dot as the decimal separator, found '{text}'.");
            return false;
        }

        value = double.Parse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!InRange(kind, value))
        {
            error = (SpecDiagnosticCodes.OutOfRange, $"{name} must be {RangeText(kind)} for a {KindWord(kind)} budget, found {trimmed}.");
            return false;
        }

        return true;
    }
}
