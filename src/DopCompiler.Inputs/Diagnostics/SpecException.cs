
namespace DopCompiler.Inputs.Diagnostics;

/// <summary>Thrown where a method cannot return a result object; carries one or more <see cref="SpecDiagnostic"/>s.</summary>
public sealed class SpecException : Exception
{
    public SpecException(IEnumerable<SpecDiagnostic> diagnostics)
        : this([.. diagnostics], null)
    {
    }

    public SpecException(SpecDiagnostic diagnostic, Exception? inner = null)
        : this([diagnostic], inner)
    {
    }

    private SpecException(SpecDiagnostic[] diagnostics, Exception? inner)
        : base(string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString())), inner)
    {
        Diagnostics = new EquatableArray<SpecDiagnostic>(diagnostics);
    }

    public EquatableArray<SpecDiagnostic> Diagnostics { get; }
}
