using DopCompiler.Policy;

namespace DopCompiler.Search;

/// <summary>The policy document a search produced, with what it cost and how the approximation fared.</summary>
public sealed record SearchOutcome(PolicyDocument Document, SearchStatistics Statistics, bool CacheHit, IReadOnlyList<ApproximationCheck> Checks);
