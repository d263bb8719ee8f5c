namespace DopCompiler.Generator.Model
{
    /// <summary>One decoder layer: bit masks over the groups (bit i = group i).</summary>
    internal sealed record LayerSpec(int Layer, uint Attention, uint Mlp, uint Dropped);
}
