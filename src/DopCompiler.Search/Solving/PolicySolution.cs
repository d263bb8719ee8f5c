using DopCompiler.Model.Pruning;

namespace DopCompiler.Search.Solving;

/// <summary>The solver's choice: the depth policy, its predicted divergence (sum of curves) and its cost.</summary>
public sealed record PolicySolution(DepthPolicy Policy, double PredictedKl, double Cost, bool Feasible);
