namespace DopCompiler.Search.Curves;

/// <summary>What <c>dop search --shard i/n</c> did: the shard file, its points of the total, whether it was already there.</summary>
public sealed record ShardOutcome(CurveShard Shard, string Path, int Points, int TotalPoints, bool Reused);
