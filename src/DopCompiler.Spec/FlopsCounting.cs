namespace DopCompiler.Spec;

/// <summary>Which FLOPs formula to count with.</summary>
public enum FlopsCounting
{
    /// <summary>Grouped-query attention aware (K/V projections use the key/value head count).</summary>
    Gqa,

    /// <summary>The predecessor code's formula (no GQA, no causal halving), for comparison with the paper.</summary>
    Paper,
}
