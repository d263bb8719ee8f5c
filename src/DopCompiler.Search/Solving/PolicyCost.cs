using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;

namespace DopCompiler.Search.Solving;

/// <summary>
/// Cost of a depth policy over a validation set's layouts: the mean of the samples' costs (<see cref="MeanLayout"/>). A group with attention depth a leaves the sequence at layer L − a (dead
/// work), so its MLP runs in the first L − max(a, m) layers; always-kept tokens run everything.
/// </summary>
public sealed class PolicyCost
{
    private readonly ILayerCostModel _model;
    private readonly MeanLayout _layout;
    private readonly int _layers;

    public PolicyCost(ILayerCostModel model, MeanLayout layout, int layers)
    {
        _model = model;
        _layout = layout;
        _layers = layers;
    }

    public ILayerCostModel Model => _model;

    public int Layers => _layers;

    public MeanLayout Layout => _layout;

    public double Of(DepthPolicy policy)
    {
        var groups = _layout.Groups.Count;
        var attention = new int[groups];
        var mlp = new int[groups];
        for (var g = 0; g < groups; g++)
        {
            attention[g] = policy.AttentionDepth.GetValueOrDefault(_layout.Groups[g].Name);
            mlp[g] = policy.MlpDepth.GetValueOrDefault(_layout.Groups[g].Name);
        }

        return AttentionCost(attention) + MlpCost(attention, mlp);
    }

    /// <summary>Σ over layers of the attention block cost given each group's attention depth.</summary>
    public double AttentionCost(IReadOnlyList<int> attentionDepths)
    {
        double total = 0;
        var kept = new bool[attentionDepths.Count];
        for (var l = 0; l < _layers; l++)
        {
            double n = 0;
            for (var g = 0; g < attentionDepths.Count; g++)
            {
                kept[g] = l < _layers - attentionDepths[g];
                n += _layout.AlwaysKept[g] + (kept[g] ? _layout.Sizes[g] - _layout.AlwaysKept[g] : 0);
            }

            // The mean over samples of a cost quadratic in n: the cost at the mean n plus its n² coefficient times Var(n).
            total += _model.Attention(n) + (_model.AttentionQuadratic * LayoutCovariance.OfKept(_layout.Covariance, kept));
        }

        return total;
    }

    /// <summary>Σ over layers of the MLP cost; separable per group, which the solver exploits.</summary>
    public double MlpCost(IReadOnlyList<int> attentionDepths, IReadOnlyList<int> mlpDepths)
    {
        var total = MlpBase();
        for (var g = 0; g < attentionDepths.Count; g++)
        {
            total += GroupMlpCost(g, attentionDepths[g], mlpDepths[g]);
        }

        return total;
    }

    /// <summary>MLP cost every policy pays: the fixed per-layer part and the always-kept tokens.</summary>
    public double MlpBase() => _layers * (_model.MlpFixed + (_model.MlpPerToken * _layout.AlwaysKept.Sum()));

    /// <summary>MLP cost of group g's prunable tokens at attention depth a and MLP depth m.</summary>
    public double GroupMlpCost(int g, int attentionDepth, int mlpDepth) =>
        (_layers - Math.Max(attentionDepth, mlpDepth)) * _model.MlpPerToken * (_layout.Sizes[g] - _layout.AlwaysKept[g]);
}
