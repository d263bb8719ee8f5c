namespace DopCompiler.Spec;

/// <summary>The compute budget the solver must meet.</summary>
public sealed record BudgetSpec
{
    public required BudgetKind Kind { get; init; }

    /// <summary>The fraction, TFLOPs, accuracy drop or KL, depending on <see cref="Kind"/>.</summary>
    public required double Value { get; init; }

    /// <summary>What a budget that cannot be met even with everything prunable pruned gets (<c>on_unreachable</c>).</summary>
    public UnreachableBudget OnUnreachable { get; init; } = UnreachableBudget.Error;

    /// <summary>
    /// For a quality target, what the frontier is priced in (which policy is "cheapest"); always <see cref="BudgetPrice.Flops"/>
    /// for the other kinds (their unit decides: a latency fraction is priced in predicted time whatever this says).
    /// </summary>
    public BudgetPrice Price { get; init; } = BudgetPrice.Flops;

    /// <summary>Whether the budget is a quality target (<c>max_accuracy_drop</c>, <c>max_kl</c>) rather than a cost.</summary>
    public bool IsQualityTarget => Kind is BudgetKind.MaxAccuracyDrop or BudgetKind.MaxKl;

    /// <summary>Whether the search prices policies with the fitted time model (a latency fraction, or a target priced in latency).</summary>
    public bool PricedInTime => Kind == BudgetKind.LatencyFraction || (IsQualityTarget && Price == BudgetPrice.Latency);
}
