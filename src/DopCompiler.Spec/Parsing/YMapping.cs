namespace DopCompiler.Spec.Parsing;

internal sealed record YMapping(int Line, int Column, IReadOnlyList<KeyValuePair<YNode, YNode>> Entries) : YNode(Line, Column)
{
    public override string KindName => "a mapping";
}
