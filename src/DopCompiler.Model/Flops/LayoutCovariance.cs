namespace DopCompiler.Model.Flops;

/// <summary>
/// How a validation set's prompt layouts vary: the covariance of each sample's token counts, taken as one vector of 2G
/// values (every group's size, then every group's always-kept count). The attention scores cost n² in the tokens n a
/// layer attends over, so the mean over samples of a layer's cost is the cost at the mean layout plus the quadratic
/// coefficient times Var(n) (E[n²] = E[n]² + Var(n)); everything else is linear in the counts. With these moments the
/// FLOPs and the time model are the exact per-sample averages without keeping every sample's layout.
/// </summary>
public static class LayoutCovariance
{
    /// <summary>The population covariance (divided by the sample count) of the samples' (sizes, always-kept) vectors.</summary>
    public static double[][] Of(IReadOnlyList<(double[] Sizes, double[] AlwaysKept)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var width = samples.Count == 0 ? 0 : samples[0].Sizes.Length * 2;
        var vectors = samples.Select(s => s.Sizes.Concat(s.AlwaysKept).ToArray()).ToArray();
        var mean = new double[width];
        foreach (var v in vectors)
        {
            for (var i = 0; i < width; i++)
            {
                mean[i] += v[i] / vectors.Length;
            }
        }

        var covariance = new double[width][];
        for (var i = 0; i < width; i++)
        {
            covariance[i] = new double[width];
            for (var j = 0; j < width; j++)
            {
                covariance[i][j] = vectors.Sum(v => (v[i] - mean[i]) * (v[j] - mean[j])) / vectors.Length;
            }
        }

        return covariance;
    }

    /// <summary>
    /// Var(n) of the tokens a layer runs, n = Σ_g (kept_g ? size_g : alwaysKept_g): a dropped group still runs its
    /// always-kept tokens. 0 without a covariance (one layout, or a document written before the moments were kept).
    /// </summary>
    public static double OfKept(double[][]? covariance, IReadOnlyList<bool> kept)
    {
        if (covariance is null || covariance.Length == 0)
        {
            return 0;
        }

        var groups = kept.Count;
        double Coefficient(int i) => i < groups ? (kept[i] ? 1 : 0) : (kept[i - groups] ? 0 : 1);
        double variance = 0;
        for (var i = 0; i < 2 * groups; i++)
        {
            var ci = Coefficient(i);
            if (ci == 0)
            {
                continue;
            }

            for (var j = 0; j < 2 * groups; j++)
            {
                variance += ci * Coefficient(j) * covariance[i][j];
            }
        }

        // Rounding can leave a tiny negative for a constant count.
        return Math.Max(0, variance);
    }

    /// <summary>
    /// The covariance of <c>map · v</c> (map: rows of the new vector over the old one's 2G entries): Σ' = M Σ Mᵀ. How a
    /// layout's moments follow when groups are split, scaled or merged.
    /// </summary>
    public static double[][]? Transform(double[][]? covariance, double[][] map)
    {
        if (covariance is null)
        {
            return null;
        }

        var rows = map.Length;
        var width = covariance.Length;
        var result = new double[rows][];
        for (var a = 0; a < rows; a++)
        {
            result[a] = new double[rows];
            for (var b = 0; b < rows; b++)
            {
                double sum = 0;
                for (var i = 0; i < width; i++)
                {
                    if (map[a][i] == 0)
                    {
                        continue;
                    }

                    for (var j = 0; j < width; j++)
                    {
                        sum += map[a][i] * covariance[i][j] * map[b][j];
                    }
                }

                result[a][b] = sum;
            }
        }

        return result;
    }
}
