namespace DopCompiler.Spec.Parsing;

internal sealed record YSequence(int Line, int Column, IReadOnlyList<YNode> Items) : YNode(Line, Column)
{
    public override string KindName => "a list";
}
