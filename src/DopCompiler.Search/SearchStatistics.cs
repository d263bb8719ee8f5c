namespace DopCompiler.Search;

/// <summary>What a search cost: policies evaluated on the validation set, decoder layers run, wall time.</summary>
public sealed class SearchStatistics
{
    /// <summary>Policies evaluated on the whole validation set (the reference run counts as one).</summary>
    public int ValidationRuns { get; set; }

    /// <summary>Decoder layers run, summed over samples.</summary>
    public long LayerEvaluations { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>Wall time of the reference run over the validation set (model loading excluded): the unit of the search estimate.</summary>
    public TimeSpan ReferencePass { get; set; }
}
