namespace DopCompiler.Generator.Model
{
    /// <summary>One variant: its spec name, C# name (<c>fast</c> → <c>Fast</c>) and its own depths, layers and budget figures.</summary>
    internal sealed record VariantSpec(string Name, string Identifier, EquatableArray<DepthSpec> Depths, EquatableArray<LayerSpec> Layers, BudgetSpec Budget);
}
