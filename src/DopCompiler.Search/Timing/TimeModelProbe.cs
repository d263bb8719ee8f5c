using System.Diagnostics;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Search.Timing;

/// <summary>
/// Fits a <see cref="TimeModel"/> with a short timed probe of the decoder layers, run through the interpreter's own
/// per-layer code (<see cref="PrunedForward.RunLayer"/>: row gathers, the blocks, in-place residual adds, the layer's
/// dispose scope) on a sequence of the prompts' length, with n attention rows and m MLP rows selected the way real
/// plans select them (a leading block plus the always-kept last row). Sizes are interleaved and each point is the
/// median of several repetitions (the machines are noisy).
/// </summary>
/// <remarks>
/// Why not time the bare blocks on n contiguous rows (version 1): at this model size a layer costs well under a
/// millisecond, so the gathers, adds and per-call overheads that the bare blocks leave out are a large share of a
/// pruned layer's time; and an unweighted least-squares fit is dominated by the largest n. Together they made the
/// model under-predict pruned plans by 15–20 points of the unpruned time. Version 2 times the real path and fits
/// relative errors. Version 3: the same probe, run with the heap allocator tuned (<see cref="DopCompiler.Model.Native.HeapAllocatorTuning"/>);
/// without it the first seconds of a process paid glibc's mmap/trim churn and version 2 fits over-predicted by up to 81%.
/// Version 4: each point is taken relative to the full layer timed in the same round (median ratio × the full layer's
/// median), which cancels drift between rounds: median time-fraction error 4.0% over 5 runs against 6.8% without.
/// </remarks>
public static class TimeModelProbe
{
    /// <summary>One probe measurement: a layer with this many attention and MLP rows took this long (median).</summary>
    public sealed record ProbePoint(int AttentionRows, int MlpRows, double Milliseconds);

    /// <summary>Bumped when the probe changes, so that time models cached by an older probe are refitted.</summary>
    public const int Version = 4;

    public static TimeModel Fit(LlavaModel model, int maxTokens, int repetitions = 15) => Fit(Measure(model, maxTokens, repetitions), model.Device);

    /// <summary>The fitted model for probe points measured on <paramref name="device"/> (default the CPU).</summary>
    public static TimeModel Fit(IReadOnlyList<ProbePoint> points, Device? device = null)
    {
        var rows = points.Select(p => new[] { 1.0, p.AttentionRows, (double)p.AttentionRows * p.AttentionRows, p.MlpRows }).ToArray();
        var (a, b, c, mlpPerToken) = FitLayerCost(rows, points.Select(p => p.Milliseconds).ToArray());
        // The intercept holds the whole per-layer fixed cost: both blocks always run (the last row is always kept).
        return new TimeModel(a, b, c, 0, mlpPerToken, TimeModel.MachineIdentity(device)) { Probe = Version };
    }

    /// <summary>Times one layer at each design point (attention rows, MLP rows): medians of <paramref name="repetitions"/> interleaved runs.</summary>
    public static IReadOnlyList<ProbePoint> Measure(LlavaModel model, int maxTokens, int repetitions = 15)
    {
        using var noGrad = no_grad();
        var config = model.Config.Text;
        var layers = model.Layers.Count;
        var total = Math.Max(2, maxTokens);
        var counts = new[] { 1, 8, 16, 32, 64, 96, 128, 192, 256, 384, 512 }.Where(n => n < total).Append(total).Distinct().Order().ToArray();
        // Attention varied with every row in the MLP, then the MLP varied with every row in attention.
        var design = counts.Select(n => (Attention: n, Mlp: total)).Concat(counts.Where(m => m < total).Select(m => (Attention: total, Mlp: m))).ToArray();
        var samples = design.Select(_ => new List<double>()).ToArray();
        var generator = new Generator(0).manual_seed(0);
        using var onHost = randn([total, config.HiddenSize], generator: generator);
        using var hidden = onHost.to(model.DType, model.Device);
        var tables = counts.ToDictionary(n => n, n =>
        {
            using var positions = tensor(Rows(n, total).Select(r => (long)r).ToArray(), device: model.Device);
            return model.Rotary.Tables(positions);
        });
        var plans = design.Select(p => new LayerPlan
        {
            Drop = null,
            Attention = new RowSelection(Rows(p.Attention, total), total, model.Device),
            Mlp = new RowSelection(Rows(p.Mlp, total), total, model.Device),
            Positions = Enumerable.Range(0, total).ToArray(),
            Cos = tables[p.Attention].Item1,
            Sin = tables[p.Attention].Item2,
        }).ToArray();
        try
        {
            // One warm-up round, then interleave the points so drift hits every size alike.
            for (var r = -1; r < repetitions; r++)
            {
                for (var i = 0; i < plans.Length; i++)
                {
                    var h = hidden.clone().DetachFromDisposeScope(); // the layer adds into its input
                    var start = Stopwatch.GetTimestamp();
                    // Every layer in turn, as a forward runs them: one layer's weights re-run alone stay in the CPU
                    // caches and came out ~30% faster than the same layer inside a forward.
                    for (var l = 0; l < layers; l++)
                    {
                        h = PrunedForward.RunLayer(model, h, plans[i], l);
                    }

                    WaitFor(model.Device);
                    var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds / layers;
                    h.Dispose();
                    if (r >= 0)
                    {
                        samples[i].Add(elapsed);
                    }
                }
            }
        }
        finally
        {
            foreach (var plan in plans)
            {
                plan.Dispose();
            }

            foreach (var (cos, sin) in tables.Values)
            {
                cos.Dispose();
                sin.Dispose();
            }
        }

        // Each round's full layer (every row in both blocks) is its anchor: a point's cost relative to the anchor of the
        // same round, median over rounds, times the anchors' median. Drift between rounds then moves no point's ratio.
        var anchor = Array.FindIndex(design, p => p.Attention == total && p.Mlp == total);
        var anchorMedian = SampleStatistics.Median(samples[anchor]);
        return design.Select((p, i) => new ProbePoint(p.Attention, p.Mlp,
            anchorMedian * SampleStatistics.Median(samples[i].Select((t, r) => t / samples[anchor][r]).ToList()))).ToArray();
    }

    /// <summary>
    /// Weighted least squares of t = a + b·n + c·n² + d·m with weights 1/t² (relative errors, so small layers count as
    /// much as large ones); b, c, d ≥ 0 (time never falls as tokens grow): a negative coefficient is dropped and the
    /// rest refitted.
    /// </summary>
    public static (double A, double B, double C, double D) FitLayerCost(double[][] rows, double[] y)
    {
        var active = new List<int> { 0, 1, 2, 3 };
        while (true)
        {
            var solution = WeightedLeastSquares(rows, y, active);
            var negative = active.Skip(1).Where(k => solution[k] < 0).ToArray();
            if (negative.Length == 0)
            {
                return (solution[0], solution[1], solution[2], solution[3]);
            }

            // Drop the curvature first, then whichever slope is negative.
            active.Remove(negative.Contains(2) ? 2 : negative[0]);
        }
    }

    /// <summary>A GPU runs kernels asynchronously: wait for them before reading the clock.</summary>
    private static void WaitFor(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }

    /// <summary>The selected rows of an n-row selection out of <paramref name="total"/>: rows 0 … n−2 and the last row.</summary>
    private static int[] Rows(int n, int total) =>
        n >= total ? Enumerable.Range(0, total).ToArray() : Enumerable.Range(0, n - 1).Append(total - 1).ToArray();

    private static double[] WeightedLeastSquares(double[][] rows, double[] y, List<int> active)
    {
        var k = active.Count;
        var ata = new double[k, k];
        var aty = new double[k];
        for (var i = 0; i < rows.Length; i++)
        {
            var w = y[i] > 0 ? 1 / (y[i] * y[i]) : 1;
            for (var p = 0; p < k; p++)
            {
                aty[p] += w * rows[i][active[p]] * y[i];
                for (var q = 0; q < k; q++)
                {
                    ata[p, q] += w * rows[i][active[p]] * rows[i][active[q]];
                }
            }
        }

        var solved = Solve(ata, aty);
        var full = new double[rows[0].Length];
        for (var p = 0; p < k; p++)
        {
            full[active[p]] = solved[p];
        }

        return full;
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
