namespace DopCompiler.Search.Curves;

/// <summary>A measured curve point as a shard stores it: the point and its mean KL on the validation set.</summary>
public sealed record CurvePoint(string Module, string Group, int Value, double Kl)
{
    public CurvePointId ToId() => new(Module, Group, Value);
}
