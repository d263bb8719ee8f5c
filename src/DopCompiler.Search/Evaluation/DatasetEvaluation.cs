namespace DopCompiler.Search.Evaluation;

/// <summary>What <c>dop eval</c> reports for a policy (or none) on a JSONL set.</summary>
public sealed record DatasetEvaluation
{
    public required int Samples { get; init; }

    /// <summary>Exact-match accuracy of the greedy answer (trimmed) against the expected answer.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Per question type: correct and total.</summary>
    public required SortedDictionary<string, TypeAccuracy> PerType { get; init; }

    /// <summary>Mean KL(unpruned ‖ pruned) at the first answer position (0 without a policy).</summary>
    public required double MeanKl { get; init; }

    /// <summary>Mean decoder prefill FLOPs per sample, pruned and unpruned.</summary>
    public required double PrefillFlops { get; init; }

    public required double UnprunedPrefillFlops { get; init; }

    /// <summary>Median decoder prefill latency (ms), pruned and unpruned, timed interleaved in one run.</summary>
    public required double PrefillMilliseconds { get; init; }

    public required double UnprunedPrefillMilliseconds { get; init; }

    /// <summary>Unpruned exact-match accuracy on the same samples (when a policy was given).</summary>
    public required double UnprunedAccuracy { get; init; }
}
