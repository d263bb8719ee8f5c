namespace DopCompiler.Search.Curves;

/// <summary>
/// The divergence curve of the image-token count n_v (§3, ours): D when only the top <see cref="Counts"/>[i] image
/// tokens by [CLS] attention enter the decoder and everything else runs, measured alone like every other parameter.
/// Keeping all <see cref="ImageTokens"/> tokens costs nothing (D = 0).
/// </summary>
public sealed record TokenCountCurve(string Group, int ImageTokens, int[] Counts, double[] Kl)
{
    /// <summary>D at <paramref name="count"/> kept tokens: 0 at the full count, otherwise the measured value.</summary>
    public double KlAt(int count) =>
        count >= ImageTokens ? 0 : Kl[Array.IndexOf(Counts, count) is var i and >= 0 ? i : throw new ArgumentOutOfRangeException(nameof(count), count, "not on the n_v grid")];
}
