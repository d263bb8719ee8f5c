namespace DopCompiler.Search.Solving;

/// <summary>The solve phase's result: the depth policy over the base groups and how many image tokens it keeps (<see cref="int.MaxValue"/>: all).</summary>
internal sealed record SolvedPolicy(PolicySolution Solution, int KeptImageTokens)
{
    /// <summary>For a quality target (<see cref="QualityPhase"/>): the walk's target, measurements and margin; null for a cost budget.</summary>
    public QualityOutcome? Quality { get; init; }
}
