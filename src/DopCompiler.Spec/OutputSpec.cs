namespace DopCompiler.Spec;

/// <summary>Names of the generated class.</summary>
public sealed record OutputSpec
{
    public required string ClassName { get; init; }

    public required string Namespace { get; init; }
}
