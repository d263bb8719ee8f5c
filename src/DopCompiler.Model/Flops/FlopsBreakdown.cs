namespace DopCompiler.Model.Flops;

/// <summary>Decoder prefill FLOPs split by kind, with the token counts per layer that produced them.</summary>
public sealed record FlopsBreakdown(double Projections, double Attention, double Mlp, IReadOnlyList<LayerTokenCounts> Layers)
{
    public double Total => Projections + Attention + Mlp;
}
