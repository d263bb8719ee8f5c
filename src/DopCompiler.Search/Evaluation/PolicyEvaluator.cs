using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Search.Evaluation;

/// <summary>Measures D(policy): mean KL over the validation samples, optionally restarting from cached hidden states.</summary>
public sealed class PolicyEvaluator
{
    private readonly SearchContext _context;
    private readonly SearchStatistics _statistics;

    public PolicyEvaluator(SearchContext context, SearchStatistics statistics)
    {
        _context = context;
        _statistics = statistics;
    }

    /// <summary>
    /// Mean KL(original ‖ pruned) of <paramref name="policy"/>. With <paramref name="reusePrefix"/>, layers before the
    /// first pruned one are not re-run: they equal the original model's, whose hidden states are cached (§5).
    /// </summary>
    public double MeanKl(DepthPolicy policy, bool reusePrefix = true)
    {
        var mask = policy.ToMask(_context.GroupNames, _context.Layers);
        return MeanKl(mask, reusePrefix ? FirstPrunedLayer(mask) : 0, sample => sample.Layout);
    }

    /// <summary>
    /// Mean KL of <paramref name="policy"/> over other groups than the context's (an image-token-count split): each
    /// sample's layout is rebuilt from its segments and [CLS] ranking. The cached boundaries are the original model's,
    /// so they still serve as the prefix.
    /// </summary>
    public double MeanKl(DepthPolicy policy, IReadOnlyList<GroupDefinition> groups)
    {
        var mask = policy.ToMask(groups.Select(g => g.Name).ToArray(), _context.Layers);
        return MeanKl(mask, FirstPrunedLayer(mask),
            sample => SampleLayoutBuilder.Build(groups, sample.Segments, sample.ClsAttention, sample.OutputPositions.Length, sample.ImageGrid));
    }

    /// <summary>
    /// Each sample's KL of <paramref name="policy"/> over <paramref name="groups"/> (the context's, or an image-token-count
    /// split's), in sample order: their mean is <see cref="MeanKl(DepthPolicy, IReadOnlyList{GroupDefinition})"/>, their
    /// spread the standard error a <c>max_kl</c> target reports.
    /// </summary>
    public double[] SampleKls(DepthPolicy policy, IReadOnlyList<GroupDefinition> groups)
    {
        var mask = policy.ToMask(groups.Select(g => g.Name).ToArray(), _context.Layers);
        return SampleKls(mask, FirstPrunedLayer(mask),
            sample => SampleLayoutBuilder.Build(groups, sample.Segments, sample.ClsAttention, sample.OutputPositions.Length, sample.ImageGrid));
    }

    /// <summary>The mean of <see cref="SampleKls(OperationMask, int, Func{SearchSample, TokenGroupLayout})"/>.</summary>
    public static double Mean(IReadOnlyList<double> values)
    {
        double total = 0;
        foreach (var value in values)
        {
            total += value;
        }

        return total / values.Count;
    }

    private double MeanKl(OperationMask mask, int start, Func<SearchSample, TokenGroupLayout> layoutOf)
    {
        // Summed in sample order as before the per-sample form existed, so measured values stay bit-identical.
        return Mean(SampleKls(mask, start, layoutOf));
    }

    private double[] SampleKls(OperationMask mask, int start, Func<SearchSample, TokenGroupLayout> layoutOf)
    {
        var layers = _context.Layers;
        var values = new double[_context.Samples.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var sample = _context.Samples[i];
            using var scope = NewDisposeScope();
            using var plan = ExecutionPlan.Build(mask, layoutOf(sample), sample.OutputPositions, _context.Model.Rotary);
            using var hidden = PrunedForward.RunLayers(_context.Model, sample.Boundaries[start], plan, start, layers);
            var logits = _context.Model.Logits(plan.Output.Gather(hidden));
            values[i] = Divergence.MeanKl(sample.ReferenceLogProbs, Divergence.LogProbabilities(logits));
            _statistics.LayerEvaluations += layers - start;
        }

        _statistics.ValidationRuns++;
        return values;
    }

    /// <summary>The first layer where any operation is pruned (the layer count when none is).</summary>
    public static int FirstPrunedLayer(OperationMask mask)
    {
        for (var l = 0; l < mask.Layers; l++)
        {
            for (var g = 0; g < mask.Groups.Count; g++)
            {
                if (!mask.AttentionKept(l, g) || !mask.MlpKept(l, g))
                {
                    return l;
                }
            }
        }

        return mask.Layers;
    }
}
