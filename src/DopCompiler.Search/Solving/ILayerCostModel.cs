namespace DopCompiler.Search.Solving;

/// <summary>
/// The cost of one decoder layer as the solver prices it: attention over n tokens (queries = keys/values = n, as the
/// method prunes both together) and an MLP linear in its tokens. FLOPs or predicted time.
/// </summary>
public interface ILayerCostModel
{
    /// <summary>Unit of the cost, for reports (<c>FLOPs</c> or <c>ms</c>).</summary>
    string Unit { get; }

    /// <summary>The attention block over <paramref name="tokens"/> tokens: a polynomial of degree at most two in them.</summary>
    double Attention(double tokens);

    /// <summary>
    /// The n² coefficient of <see cref="Attention"/>: what the mean over samples adds per unit of variance of n
    /// (<see cref="DopCompiler.Model.Flops.LayoutCovariance"/>).
    /// </summary>
    double AttentionQuadratic { get; }

    /// <summary>Cost of running the MLP at all in a layer (0 for FLOPs; the fixed weight-streaming cost for time).</summary>
    double MlpFixed { get; }

    double MlpPerToken { get; }
}
