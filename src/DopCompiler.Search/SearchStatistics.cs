namespace DopCompiler.Search;

/// <summary>What a search cost: policies evaluated on the validation set, decoder layers run, wall time.</summary>
public sealed class SearchStatistics
{
    /// <summary>Policies evaluated on the whole validation set (the reference run counts as one).</summary>
    public int ValidationRuns { get; set; }

    /// <summary>Decoder layers run, summed over samples.</summary>
    public long LayerEvaluations { get; set; }

    public TimeSpan Elapsed { get; set; }
}
