using DopCompiler.Policy;

namespace DopCompiler.Search;

/// <summary>The policy document a search produced, with what it cost and how the approximation fared.</summary>
public sealed record SearchOutcome(PolicyDocument Document, SearchStatistics Statistics, bool CacheHit, IReadOnlyList<ApproximationCheck> Checks);

/// <summary>Predicted (sum of curves) and measured joint KL of one policy.</summary>
public sealed record ApproximationCheck(string Policy, double Predicted, double Measured, double CostFraction);
