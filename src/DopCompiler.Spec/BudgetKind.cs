namespace DopCompiler.Spec;

/// <summary>How the budget is given; exactly one kind per spec.</summary>
public enum BudgetKind
{
    /// <summary>A fraction of the unpruned decoder prefill FLOPs (0 &lt; f ≤ 1).</summary>
    Fraction,

    /// <summary>Absolute decoder prefill TFLOPs (&gt; 0).</summary>
    Tflops,

    /// <summary>A fraction of the unpruned decoder prefill time predicted by the fitted time model (0 &lt; f ≤ 1).</summary>
    LatencyFraction,

    /// <summary>
    /// A quality target: the cheapest frontier policy (priced by <see cref="BudgetSpec.Price"/>) whose measured exact-match
    /// accuracy on the validation answers is at most this share below the unpruned model's (0 ≤ d &lt; 1; 0.01 = one point).
    /// </summary>
    MaxAccuracyDrop,

    /// <summary>A quality target: the cheapest frontier policy whose measured joint KL on the validation set is at most this (≥ 0).</summary>
    MaxKl,
}
