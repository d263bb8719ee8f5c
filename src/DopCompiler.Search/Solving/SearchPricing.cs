using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Timing;
using DopCompiler.Spec;

namespace DopCompiler.Search.Solving;

/// <summary>
/// How a search prices policies over the validation set's layouts (the mean of the samples' costs): in FLOPs (always, for the policy file and the
/// checks) and in the budget's own unit (<see cref="Cost"/>: FLOPs, or the time model's milliseconds for a latency budget).
/// </summary>
internal sealed record SearchPricing(MeanLayout Layout, FlopsModel FlopsModel, PolicyCost FlopsCost, TimeModel? Time, PolicyCost Cost)
{
    /// <summary>The unpruned model's cost in the budget's unit.</summary>
    public double Unpruned { get; } = Cost.Of(DepthPolicy.Empty);

    /// <summary>What prices one layer in the budget's unit (the solver's per-layer costs).</summary>
    public ILayerCostModel CostModel => Time is null ? new FlopsCostModel(FlopsModel) : Time;

    public static SearchPricing Of(DopSpec spec, ModelConfig config, MeanLayout layout, TimeModel? time, int layers)
    {
        var convention = spec.Flops == FlopsCounting.Paper ? FlopsConvention.Paper : FlopsConvention.Gqa;
        var flopsModel = new FlopsModel(config.Text, convention);
        var flopsCost = new PolicyCost(new FlopsCostModel(flopsModel), layout, layers);
        var cost = time is null ? flopsCost : new PolicyCost(time, layout, layers);
        return new SearchPricing(layout, flopsModel, flopsCost, time, cost);
    }

    /// <summary>The cost of depth policies over the base groups when only <paramref name="count"/> of the image tokens enter the decoder.</summary>
    public static PolicyCost ScaledCost(ILayerCostModel costModel, MeanLayout layout, int count, int imageTokens, int layers) =>
        new(costModel, ImageTokenSplit.ScaledLayout(layout, count, imageTokens), layers);
}
