using System.Globalization;

namespace DopCompiler.Cli.Reporting;

/// <summary>Axis and table numbers as plain decimals (0.001, 0.25, 12), never exponent notation like <c>2.055E-1</c>.</summary>
public static class PlotLabels
{
    /// <summary>Up to 12 decimals, trailing zeros dropped: enough for any KL a log axis reaches (1e-12) and still plain.</summary>
    public static string Decimal(double value) => Math.Abs(value) < 5e-13 ? "0" : value.ToString("0.############", CultureInfo.InvariantCulture);

    /// <summary>A value for a table cell with <paramref name="significant"/> significant digits, as a plain decimal.</summary>
    public static string Significant(double value, int significant = 3)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value == 0 ? "0" : value.ToString(CultureInfo.InvariantCulture);
        }

        var decimals = Math.Clamp(significant - 1 - (int)Math.Floor(Math.Log10(Math.Abs(value))), 0, 12);
        return Decimal(Math.Round(value, decimals));
    }
}
