
namespace DopCompiler.Inputs.Diagnostics;

/// <summary>Either a value or the complete list of problems that kept it from being made.</summary>
public sealed record SpecResult<T>
    where T : class
{
    /// <summary>The value; null when <see cref="Diagnostics"/> is not empty.</summary>
    public T? Value { get; init; }

    /// <summary>Every problem found, in file order.</summary>
    public required EquatableArray<SpecDiagnostic> Diagnostics { get; init; }

    public bool Succeeded => Value is not null && Diagnostics.Count == 0;

    /// <summary>The value, or a <see cref="SpecException"/> carrying every diagnostic.</summary>
    public T GetValueOrThrow() => Succeeded ? Value! : throw new SpecException(Diagnostics);

    internal static SpecResult<T> From(T? value, List<SpecDiagnostic> diagnostics) =>
        diagnostics.Count == 0 && value is not null
            ? new SpecResult<T> { Value = value, Diagnostics = EquatableArray<SpecDiagnostic>.Empty }
            : new SpecResult<T> { Value = null, Diagnostics = new EquatableArray<SpecDiagnostic>(diagnostics) };
}
