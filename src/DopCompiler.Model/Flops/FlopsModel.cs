using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;

namespace DopCompiler.Model.Flops;

/// <summary>
/// The analytic decoder-prefill FLOPs of a policy (§6 of the method), from group sizes alone, so the budget solver
/// can price policies without running anything. Tests check it against <see cref="ExecutedFlops"/>.
/// </summary>
public sealed class FlopsModel
{
    private readonly TextConfig _config;

    public FlopsModel(TextConfig config, FlopsConvention convention)
    {
        _config = config;
        Convention = convention;
    }

    public FlopsConvention Convention { get; }

    /// <summary>
    /// FLOPs for a mask over groups of <paramref name="groupSizes"/> tokens, of which
    /// <paramref name="alwaysKeptPerGroup"/> are never pruned (the last prompt position, answer tokens).
    /// Sizes may be fractional: they are the validation set's mean layout, and <paramref name="covariance"/> (the samples'
    /// <see cref="LayoutCovariance"/>; null: every sample has this layout) makes the attention scores, quadratic in the
    /// tokens, the mean over samples rather than the cost of the mean sample.
    /// </summary>
    public FlopsBreakdown Prefill(OperationMask mask, IReadOnlyList<double> groupSizes, IReadOnlyList<double> alwaysKeptPerGroup, double[][]? covariance = null)
    {
        double projections = 0, attention = 0, mlp = 0;
        var counts = new List<LayerTokenCounts>(mask.Layers);
        var deadFrom = Enumerable.Range(0, mask.Groups.Count).Select(mask.DeadFrom).ToArray();
        var attends = new bool[mask.Groups.Count];
        for (var l = 0; l < mask.Layers; l++)
        {
            double nAttention = 0, nMlp = 0;
            for (var g = 0; g < mask.Groups.Count; g++)
            {
                // Mirrors ExecutionPlan: always-kept tokens run everything; a dead group runs nothing.
                var always = alwaysKeptPerGroup[g];
                var rest = groupSizes[g] - always;
                var alive = deadFrom[g] > l;
                attends[g] = alive && mask.AttentionKept(l, g);
                nAttention += always + (attends[g] ? rest : 0);
                nMlp += always + (alive && mask.MlpKept(l, g) ? rest : 0);
            }

            var (p, a, m) = Layer(nAttention, nAttention, nMlp);
            projections += p;
            attention += a + (ScoresPerSquaredToken * LayoutCovariance.OfKept(covariance, attends));
            mlp += m;
            counts.Add(new LayerTokenCounts((long)Math.Round(nAttention), (long)Math.Round(nAttention), (long)Math.Round(nMlp)));
        }

        return new FlopsBreakdown(projections, attention, mlp, counts);
    }

    /// <summary>FLOPs for one sample's layout.</summary>
    public FlopsBreakdown Prefill(OperationMask mask, TokenGroupLayout layout)
    {
        var sizes = layout.Groups.Select(g => (double)g.Count).ToArray();
        var always = layout.Groups.Select(g => (double)g.Positions.Count(p => Array.BinarySearch(layout.AlwaysKept, p) >= 0)).ToArray();
        return Prefill(mask, sizes, always);
    }

    /// <summary>The attention scores' FLOPs per query × key pair (they are this times n² over n tokens).</summary>
    public double ScoresPerSquaredToken => Layer(1, 1, 0).Attention;

    /// <summary>One layer's (projections, attention scores + weighted sum, MLP) FLOPs.</summary>
    public (double Projections, double Attention, double Mlp) Layer(double queries, double keyValues, double mlpTokens)
    {
        double d = _config.HiddenSize, f = _config.IntermediateSize;
        if (Convention == FlopsConvention.Paper)
        {
            return ((4 * keyValues * d * d) + (4 * queries * d * d), 4 * queries * keyValues * d, 6 * mlpTokens * d * f);
        }

        double qWidth = _config.QueryWidth, kvWidth = _config.KeyValueWidth;
        var projections = (2 * queries * d * qWidth * 2) + (2 * keyValues * d * kvWidth * 2);
        if (_config.QkvBias)
        {
            // Qwen2's q/k/v biases: one add per output element (the paper's convention counts matrix products only).
            projections += (queries * qWidth) + (2 * keyValues * kvWidth);
        }

        var scores = 2 * 2 * _config.NumHeads * (double)_config.HeadDim * queries * keyValues;
        return (projections, scores, 2 * mlpTokens * d * f * 3);
    }
}
