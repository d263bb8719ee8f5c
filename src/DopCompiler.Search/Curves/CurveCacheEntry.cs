using DopCompiler.Search.Timing;

namespace DopCompiler.Search.Curves;

/// <summary>What the curve cache stores: everything a re-solve needs without loading the model or running a sample.</summary>
public sealed record CurveCacheEntry
{
    public required string Key { get; init; }

    public required string ToolVersion { get; init; }

    public required int Layers { get; init; }

    public required int Samples { get; init; }

    public required double[] MeanSizes { get; init; }

    public required double[] MeanAlwaysKept { get; init; }

    /// <summary>How the samples' layouts vary around the means (<see cref="Model.Flops.LayoutCovariance"/>); null: one layout.</summary>
    public double[][]? LayoutCovariance { get; init; }

    public required List<DivergenceCurve> Curves { get; init; }

    /// <summary>Fitted time model for this machine, when a latency budget asked for one.</summary>
    public TimeModel? Time { get; init; }

    /// <summary>The n_v curve, when the spec asks for an n_v grid.</summary>
    public TokenCountCurve? TokenCounts { get; init; }

    /// <summary>
    /// The measured joint KL of each policy chosen from these curves (key: the policy in one line, plus <c>n_v=</c> when
    /// image tokens are cut), so a re-solve to a policy already measured writes the same <c>measured_kl</c> without a
    /// validation run.
    /// </summary>
    public SortedDictionary<string, double>? MeasuredKl { get; init; }

    /// <summary>
    /// Set in a shard's file only (<c>dop search --shard i/n</c>): which shard of the curve points it holds. Such an entry
    /// has no <see cref="Curves"/>; its measured points are in <see cref="Points"/>, and merging the shards gives the entry.
    /// </summary>
    public CurveShard? Shard { get; init; }

    /// <summary>A shard's measured curve points, in the plan's order (<see cref="CurvePointId.All"/>).</summary>
    public List<CurvePoint>? Points { get; init; }
}
