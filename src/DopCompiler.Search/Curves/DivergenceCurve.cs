namespace DopCompiler.Search.Curves;

/// <summary>
/// D_j(v) for one policy parameter j = (module, group): mean KL when only that parameter is v (§5). Index v = 0..L;
/// values between measured grid points are interpolated, and the curve is made non-decreasing.
/// </summary>
public sealed record DivergenceCurve(string Module, string Group, double[] Kl, int[] MeasuredDepths)
{
    public int MaxDepth => Kl.Length - 1;

    /// <summary>Builds a full curve from measured points: linear interpolation, then a running maximum (monotone).</summary>
    public static DivergenceCurve FromMeasured(string module, string group, int layers, IReadOnlyDictionary<int, double> measured)
    {
        var depths = measured.Keys.Order().ToArray();
        if (depths.Length == 0 || depths[0] != 0 || depths[^1] != layers)
        {
            throw new ArgumentException("a curve needs measured values at depth 0 and at the layer count", nameof(measured));
        }

        var kl = new double[layers + 1];
        for (var i = 0; i + 1 < depths.Length; i++)
        {
            int a = depths[i], b = depths[i + 1];
            for (var v = a; v <= b; v++)
            {
                var t = (double)(v - a) / (b - a);
                kl[v] = measured[a] + (t * (measured[b] - measured[a]));
            }
        }

        // Pruning more layers can only remove more computation: enforce D non-decreasing (measured noise aside).
        for (var v = 1; v <= layers; v++)
        {
            kl[v] = Math.Max(kl[v], kl[v - 1]);
        }

        kl[0] = 0;
        return new DivergenceCurve(module, group, kl, depths);
    }
}
