namespace DopCompiler.Model.Flops;

/// <summary>How decoder FLOPs are counted (§6 of the method).</summary>
public enum FlopsConvention
{
    /// <summary>
    /// What the forward executes: grouped-query K/V projections at their real width, SwiGLU's three matrices, and
    /// every query/key pair the attention kernel computes (no causal halving: the kernel computes the masked half too).
    /// </summary>
    Gqa,

    /// <summary>
    /// The predecessor code's convention, for comparing with the paper's figures: 4·n_kv·d² + 4·n_q·d² +
    /// 4·n_q·n_kv·d + 6·n·d·f per layer (no GQA, no causal halving).
    /// </summary>
    Paper,
}
