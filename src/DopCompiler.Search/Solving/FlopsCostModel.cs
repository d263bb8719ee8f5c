using DopCompiler.Model.Flops;

namespace DopCompiler.Search.Solving;

/// <summary>Prices layers in decoder FLOPs through <see cref="FlopsModel"/>, so the solver and the reports agree.</summary>
public sealed class FlopsCostModel : ILayerCostModel
{
    private readonly FlopsModel _flops;

    public FlopsCostModel(FlopsModel flops) => _flops = flops;

    public string Unit => "FLOPs";

    public double MlpFixed => 0;

    public double MlpPerToken => _flops.Layer(0, 0, 1).Mlp;

    public double AttentionQuadratic => _flops.ScoresPerSquaredToken;

    public double Attention(double tokens)
    {
        var (projections, attention, _) = _flops.Layer(tokens, tokens, 0);
        return projections + attention;
    }
}
