using System.Globalization;

namespace DopCompiler.Search.Curves;

/// <summary>
/// The search's cost before it is paid: how many reference-pass equivalents the curves, the n_v curve and the final
/// measurement take, times the measured reference pass. With prefix reuse a curve point at depth d re-runs only the
/// last d of L layers (d/L of a pass); without it, a whole pass. An upper estimate: the reference pass also decodes the
/// teacher-forced answer, which curve points do not.
/// </summary>
public sealed record SearchEstimate(double Passes, TimeSpan ReferencePass)
{
    public TimeSpan Total => ReferencePass * Passes;

    public static SearchEstimate Of(int layers, int step, int parameters, bool reusePrefix, int tokenCounts, int randomPolicies, TimeSpan referencePass)
    {
        var depths = CurveBuilder.GridDepths(layers, step).Where(d => d > 0);
        var perCurve = depths.Sum(d => reusePrefix ? (double)d / layers : 1.0);
        var passes = (parameters * perCurve) + tokenCounts + 1 + randomPolicies;
        return new SearchEstimate(passes, referencePass);
    }

    /// <summary>
    /// The cost of measuring <paramref name="points"/> alone (a shard, <c>dop search --shard i/n</c>): each depth point as
    /// in <see cref="Of"/>, each n_v point one pass, and no final measurement (the merging search does that).
    /// </summary>
    public static SearchEstimate OfPoints(IEnumerable<CurvePointId> points, int layers, bool reusePrefix, TimeSpan referencePass) =>
        new(points.Sum(p => p.IsTokenCount || !reusePrefix ? 1.0 : (double)p.Value / layers), referencePass);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"estimated search time {Total.TotalMinutes:0.#} min ({Passes:0.#} reference-pass equivalents x {ReferencePass.TotalSeconds:0.#} s measured by the reference run)");
}
