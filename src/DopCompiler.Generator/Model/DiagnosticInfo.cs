using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DopCompiler.Generator.Model
{
    /// <summary>A diagnostic as plain data (no <see cref="Location"/> or <see cref="Diagnostic"/>, which defeat caching).</summary>
    internal sealed record DiagnosticInfo(string Id, string? Path, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string? path, params string[] arguments) =>
            new DiagnosticInfo(descriptor.Id, path, new EquatableArray<string>(arguments));

        public Diagnostic ToDiagnostic()
        {
            var location = Path is null ? Location.None : Location.Create(Path, default(TextSpan), default(LinePositionSpan));
            return Diagnostic.Create(DiagnosticDescriptors.ById(Id), location, System.Linq.Enumerable.ToArray<object>(Arguments));
        }
    }
}
