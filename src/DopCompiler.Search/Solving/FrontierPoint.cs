namespace DopCompiler.Search.Solving;

/// <summary>
/// One policy on the search's frontier: the depths over the base groups with their cost (in the pricing's unit) and
/// predicted divergence, and how many image tokens it keeps (the model's count, or <see cref="int.MaxValue"/>: all).
/// </summary>
public sealed record FrontierPoint(PolicySolution Solution, int KeptImageTokens);
