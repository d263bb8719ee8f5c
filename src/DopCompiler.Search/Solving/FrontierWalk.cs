namespace DopCompiler.Search.Solving;

/// <summary>
/// The search for the cheapest frontier policy that meets a quality target, measuring as few candidates as it can:
/// bisection over the frontier's positions (cheapest first). It <b>assumes</b> that measured quality only gets better as the
/// frontier gets dearer (the predicted divergence falls strictly along it, so this holds as far as the additive
/// prediction orders policies as their measurement does); where it does not, the walk still returns a point that met the
/// target when measured, whose cheaper neighbour did not, but a cheaper isolated point meeting it may be missed.
/// </summary>
public static class FrontierWalk
{
    /// <summary>
    /// Bisects positions 0..<paramref name="count"/>−1 for the first whose measured value (<paramref name="measure"/>, lower is
    /// better: an accuracy drop, a KL) is at most <paramref name="target"/>. The dearest position is taken to meet the target
    /// without a measurement (the caller makes it the unpruned model, whose drop and divergence are 0), so ⌈log2(count)⌉
    /// candidates are measured at most, none when count is 1.
    /// </summary>
    public static FrontierWalkResult Bisect(int count, Func<int, double> measure, double target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var measured = new List<FrontierMeasurement>();
        var (failing, meeting) = (-1, count - 1);
        while (meeting - failing > 1)
        {
            var middle = failing + ((meeting - failing) / 2);
            var value = measure(middle);
            var meets = Meets(value, target);
            measured.Add(new FrontierMeasurement(middle, value, meets));
            if (meets)
            {
                meeting = middle;
            }
            else
            {
                failing = middle;
            }
        }

        return new FrontierWalkResult(meeting, measured);
    }

    /// <summary>Whether a measured value meets the target; a relative 1e-12 absorbs rounding in sums of per-sample values.</summary>
    public static bool Meets(double value, double target) => value <= target + (1e-12 * Math.Max(1, Math.Abs(target)));
}
