using DopCompiler.Spec;

namespace DopCompiler.Search.Solving;

/// <summary>
/// What a quality target's frontier walk found: the target, the chosen policy's measured value, the N-based margin and
/// every candidate measured (frontier position, cost and FLOPs fractions, value), for the policy file and the output.
/// </summary>
public sealed record QualityOutcome
{
    public required BudgetKind Kind { get; init; }

    public required double Target { get; init; }

    public required BudgetPrice Price { get; init; }

    /// <summary>The chosen policy's measured accuracy drop or joint KL (0 for the unpruned model, not measured).</summary>
    public required double Measured { get; init; }

    /// <summary>The unpruned model's exact-match accuracy on the validation answers (accuracy targets; null for KL).</summary>
    public double? UnprunedAccuracy { get; init; }

    /// <summary>N: the validation samples every candidate was measured on.</summary>
    public required int Samples { get; init; }

    /// <summary>
    /// The standard error of the measured value with N samples: of an accuracy difference at the target
    /// (<see cref="QualityMargin.AccuracyDifference"/>), or of the chosen policy's mean KL.
    /// </summary>
    public required double StandardError { get; init; }

    /// <summary>Positions on the frontier (cheapest first, the unpruned model last).</summary>
    public required int FrontierSize { get; init; }

    /// <summary>The chosen policy's position on the frontier.</summary>
    public required int Chosen { get; init; }

    public required IReadOnlyList<QualityCandidate> Candidates { get; init; }

    /// <summary>Half-width of the 95% interval: 1.96 standard errors.</summary>
    public double Margin95 => QualityMargin.Z95 * StandardError;

    /// <summary>Whether the target is inside the noise: below the 95% margin at this N.</summary>
    public bool TargetBelowMargin => Target < Margin95;
}
