namespace DopCompiler.Model.Flops;

/// <summary>
/// Counts the matrix-product FLOPs a decoder forward actually executes (2 per multiply-add), from the shapes of
/// the operands at the call sites. Tests compare it with <see cref="FlopsModel"/>'s analytic count.
/// </summary>
public sealed class ExecutedFlops
{
    public long Projections { get; private set; }

    public long AttentionScores { get; private set; }

    public long Mlp { get; private set; }

    public long Total => Projections + AttentionScores + Mlp;

    /// <summary>A linear layer over <paramref name="tokens"/> rows.</summary>
    public void Linear(bool mlp, long tokens, long inFeatures, long outFeatures)
    {
        var flops = 2 * tokens * inFeatures * outFeatures;
        if (mlp)
        {
            Mlp += flops;
        }
        else
        {
            Projections += flops;
        }
    }

    /// <summary>A bias added to <paramref name="tokens"/> rows of width <paramref name="width"/> (one FLOP each; Qwen2's q/k/v).</summary>
    public void Bias(long tokens, long width) => Projections += tokens * width;

    /// <summary>Scores (q·kᵀ) and the weighted sum (p·v) over every query/key pair the kernel computes.</summary>
    public void Attention(long heads, long headDim, long queries, long keys) =>
        AttentionScores += 2 * 2 * heads * headDim * queries * keys;
}
