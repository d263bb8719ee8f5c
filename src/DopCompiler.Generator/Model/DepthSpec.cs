namespace DopCompiler.Generator.Model
{
    internal sealed record DepthSpec(string Module, string Group, int Depth);
}
