namespace DopCompiler.Search.Solving;

/// <summary>
/// The cost of one decoder layer as the solver prices it: attention over n tokens (queries = keys/values = n, as the
/// method prunes both together) and an MLP linear in its tokens. FLOPs or predicted time.
/// </summary>
public interface ILayerCostModel
{
    /// <summary>Unit of the cost, for reports (<c>FLOPs</c> or <c>ms</c>).</summary>
    string Unit { get; }

    double Attention(double tokens);

    /// <summary>Cost of running the MLP at all in a layer (0 for FLOPs; the fixed weight-streaming cost for time).</summary>
    double MlpFixed { get; }

    double MlpPerToken { get; }
}
