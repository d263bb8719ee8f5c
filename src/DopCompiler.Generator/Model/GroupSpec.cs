namespace DopCompiler.Generator.Model
{
    /// <summary>A token group; <see cref="Identifier"/> is its C# name (<c>image_key</c> → <c>ImageKey</c>).</summary>
    internal sealed record GroupSpec(string Name, string Identifier, string Source, bool Prunable, double MeanTokens);
}
