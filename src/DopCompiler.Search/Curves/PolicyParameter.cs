namespace DopCompiler.Search.Curves;

/// <summary>One searchable integer of the depth-wise policy: a (module, group) pair.</summary>
public sealed record PolicyParameter(string Module, string Group)
{
    public const string Attention = "attention";
    public const string Mlp = "mlp";

    public bool IsAttention => Module == Attention;

    public override string ToString() => $"{Module}/{Group}";
}
