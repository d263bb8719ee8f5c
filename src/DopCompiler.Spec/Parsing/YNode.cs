namespace DopCompiler.Spec.Parsing;

/// <summary>A YAML node with its 1-based start position; kept minimal so duplicate keys survive loading.</summary>
internal abstract record YNode(int Line, int Column)
{
    public abstract string KindName { get; }
}
