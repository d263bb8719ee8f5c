using System.Diagnostics;
using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Search;

/// <summary>
/// Fits a <see cref="TimeModel"/> with a short timed probe: the attention and MLP blocks of one decoder layer over
/// random hidden states of several token counts, interleaved, medians of several repetitions (the machines are noisy).
/// </summary>
public static class TimeModelProbe
{
    public static TimeModel Fit(LlavaModel model, int maxTokens, int repetitions = 7)
    {
        using var noGrad = no_grad();
        var config = model.Config.Text;
        var layer = model.Layers[0];
        var counts = new[] { 1, 8, 16, 32, 64, 96, 128, 192, 256, 384, 512 }.Where(n => n <= Math.Max(maxTokens, 64)).Append(maxTokens).Distinct().Order().ToArray();
        var attention = counts.ToDictionary(n => n, _ => new List<double>());
        var mlp = counts.ToDictionary(n => n, _ => new List<double>());
        var generator = new Generator(0).manual_seed(0);
        var inputs = counts.ToDictionary(n => n, n => randn([n, config.HiddenSize], generator: generator));
        var tables = counts.ToDictionary(n => n, n => model.Rotary.Tables(arange(n, ScalarType.Int64)));
        try
        {
            // One warm-up round, then interleave the sizes so drift hits every size alike.
            for (var r = -1; r < repetitions; r++)
            {
                foreach (var n in counts)
                {
                    var (cos, sin) = tables[n];
                    var start = Stopwatch.GetTimestamp();
                    using (var update = DecoderBlocks.Attention(inputs[n], layer, config, cos, sin, null, out var k, out var v))
                    {
                        k.Dispose();
                        v.Dispose();
                    }

                    var middle = Stopwatch.GetTimestamp();
                    using (var update = DecoderBlocks.Mlp(inputs[n], layer, config, null))
                    {
                    }

                    var end = Stopwatch.GetTimestamp();
                    if (r >= 0)
                    {
                        attention[n].Add(Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds);
                        mlp[n].Add(Stopwatch.GetElapsedTime(middle, end).TotalMilliseconds);
                    }
                }
            }
        }
        finally
        {
            foreach (var t in inputs.Values)
            {
                t.Dispose();
            }

            foreach (var (cos, sin) in tables.Values)
            {
                cos.Dispose();
                sin.Dispose();
            }
        }

        var x = counts.Select(n => (double)n).ToArray();
        var (a, b, c) = FitQuadratic(x, counts.Select(n => SampleStatistics.Median(attention[n])).ToArray());
        var (ma, mb, _) = FitQuadratic(x, counts.Select(n => SampleStatistics.Median(mlp[n])).ToArray(), linear: true);
        return new TimeModel(a, b, c, ma, mb, TimeModel.MachineIdentity());
    }

    /// <summary>Least squares y ≈ a + b·x (+ c·x²), with non-negative b and c (time never falls as tokens grow).</summary>
    public static (double A, double B, double C) FitQuadratic(double[] x, double[] y, bool linear = false)
    {
        var columns = linear ? 2 : 3;
        var ata = new double[columns, columns];
        var aty = new double[columns];
        for (var i = 0; i < x.Length; i++)
        {
            var row = new[] { 1.0, x[i], x[i] * x[i] };
            for (var p = 0; p < columns; p++)
            {
                aty[p] += row[p] * y[i];
                for (var q = 0; q < columns; q++)
                {
                    ata[p, q] += row[p] * row[q];
                }
            }
        }

        var solution = Solve(ata, aty);
        if (!linear && solution[2] < 0)
        {
            // A negative curvature is noise: refit linearly.
            var (la, lb, _) = FitQuadratic(x, y, linear: true);
            return (la, Math.Max(0, lb), 0);
        }

        return (solution[0], Math.Max(0, solution[1]), linear ? 0 : solution[2]);
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            for (var k = 0; k < n; k++)
            {
                (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            }

            (v[col], v[pivot]) = (v[pivot], v[col]);
            for (var r = 0; r < n; r++)
            {
                if (r == col || m[col, col] == 0)
                {
                    continue;
                }

                var factor = m[r, col] / m[col, col];
                for (var k = 0; k < n; k++)
                {
                    m[r, k] -= factor * m[col, k];
                }

                v[r] -= factor * v[col];
            }
        }

        return Enumerable.Range(0, n).Select(i => m[i, i] == 0 ? 0 : v[i] / m[i, i]).ToArray();
    }
}
