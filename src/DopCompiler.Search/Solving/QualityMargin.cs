namespace DopCompiler.Search.Solving;

/// <summary>
/// How far a measured quality can be trusted with N validation samples: the standard errors a quality target reports,
/// and the N at which a target clears the 95% margin.
/// </summary>
public static class QualityMargin
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.96;

    /// <summary>
    /// The standard error of an accuracy difference at the target: unpruned accuracy <paramref name="unpruned"/>, pruned
    /// accuracy <paramref name="unpruned"/> − <paramref name="target"/>, each a share of <paramref name="samples"/> answers,
    /// taken as independent: sqrt((p₁(1−p₁) + p₂(1−p₂)) / N). Both are measured on the same samples, so the paired error is
    /// usually smaller; this one needs no measurement of the pruned model and errs on the careful side.
    /// </summary>
    public static double AccuracyDifference(double unpruned, double target, int samples)
    {
        var pruned = Math.Clamp(unpruned - target, 0, 1);
        return samples <= 0 ? double.PositiveInfinity : Math.Sqrt(Variance(unpruned, pruned) / samples);
    }

    /// <summary>The validation-set size at which the 95% margin of <see cref="AccuracyDifference"/> equals <paramref name="target"/>.</summary>
    public static int SamplesFor(double unpruned, double target)
    {
        var pruned = Math.Clamp(unpruned - target, 0, 1);
        var variance = Variance(unpruned, pruned);
        return target <= 0 || variance <= 0 ? 0 : (int)Math.Ceiling(Z95 * Z95 * variance / (target * target));
    }

    /// <summary>The standard error of a mean over per-sample values (the sample standard deviation over sqrt N).</summary>
    public static double OfMean(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
        {
            return 0;
        }

        var mean = values.Average();
        var squares = values.Sum(v => (v - mean) * (v - mean));
        return Math.Sqrt(squares / (values.Count - 1) / values.Count);
    }

    // Both shares at exactly 0 or 1 (a perfect model held to a zero drop) have no binomial variance; the floor keeps
    // SamplesFor from dividing zero by zero.
    private static double Variance(double p1, double p2) => Math.Max(p1 * (1 - p1) + (p2 * (1 - p2)), 1e-12);
}
