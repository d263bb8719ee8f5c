namespace DopCompiler.Spec;

/// <summary>What "cheapest" means for a quality target (<c>budget.price</c>).</summary>
public enum BudgetPrice
{
    /// <summary>Decoder prefill FLOPs at the validation set's mean layout.</summary>
    Flops,

    /// <summary>Decoder prefill time predicted by the fitted time model (machine-specific, as for <c>latency_fraction</c>).</summary>
    Latency,
}
