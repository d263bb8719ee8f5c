namespace DopCompiler.Spec.Parsing;

internal sealed record YScalar(int Line, int Column, string Value, bool IsPlain) : YNode(Line, Column)
{
    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string KindName => IsNull ? "null" : "a scalar";
}
