namespace DopCompiler.Search.Curves;

/// <summary>The curves phase's result: the cache entry the later phases price and solve on, and whether it was cached.</summary>
internal sealed record CurveSet(CurveCacheEntry Entry, bool CacheHit);
