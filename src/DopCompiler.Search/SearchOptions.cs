using DopCompiler.Search.Curves;

namespace DopCompiler.Search;

/// <summary>How <see cref="DopSearch"/> runs; the spec says what to search.</summary>
public sealed record SearchOptions
{
    /// <summary>Overrides the spec's budget value (same kind).</summary>
    public double? Budget { get; init; }

    public string CacheFolder { get; init; } = CurveCache.DefaultFolder();

    /// <summary>Use cached curves when the key matches (off: always recompute, then overwrite the cache).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Restart each curve point from cached hidden states (§5); off only for benchmarks and tests.</summary>
    public bool ReusePrefix { get; init; } = true;

    /// <summary>
    /// On a cache hit, measure the chosen policy's joint KL when the cache holds no measurement of it (loads the model: a
    /// reference pass and one policy pass) and store it; a stored measurement is used either way. <c>dop search</c> sets
    /// it, so its policy does not depend on the cache; <c>dop solve</c> only with <c>--measure</c>.
    /// </summary>
    public bool MeasureOnCacheHit { get; init; }

    /// <summary>
    /// Folders holding the shards of this search's curve points (<c>dop search --shard i/n</c> outputs, searched with their
    /// subfolders): when set, the curves are merged from them (checked: same inputs, every shard once, no overlap) instead
    /// of measured, and written to the cache.
    /// </summary>
    public IReadOnlyList<string> ShardFolders { get; init; } = [];

    /// <summary>Random policies whose predicted and measured KL are reported next to the chosen one.</summary>
    public int RandomPolicies { get; init; }

    /// <summary>
    /// Where the forwards run: null for the CPU, or a CUDA device the caller has checked is usable. Curves are fp32
    /// either way and shared through the cache; a time model is fitted per device.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }
}
