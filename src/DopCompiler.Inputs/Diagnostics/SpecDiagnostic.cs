namespace DopCompiler.Inputs.Diagnostics;

/// <summary>One error found in a spec, validation set, image or preprocessor config, with its exact location.</summary>
/// <remarks><see cref="ToString"/> gives MSBuild's canonical form, so a build lists it as a real error.</remarks>
public sealed record SpecDiagnostic
{
    /// <summary>The <c>DOP0xx</c> code (see <see cref="SpecDiagnosticCodes"/>).</summary>
    public required string Code { get; init; }

    public required string Message { get; init; }

    /// <summary>The file the problem is in, as the user named it.</summary>
    public required string File { get; init; }

    /// <summary>1-based line; 0 when the problem concerns the whole file.</summary>
    public int Line { get; init; }

    /// <summary>1-based column; 0 when the problem concerns the whole file.</summary>
    public int Column { get; init; }

    /// <summary><c>file(line,col): error DOP0xx: message</c>, or <c>file: error DOP0xx: message</c> without a line.</summary>
    public override string ToString()
    {
        var origin = Line > 0 ? $"{File}({Line},{Math.Max(Column, 1)})" : File;
        return $"{origin}: error {Code}: {Message}";
    }

    internal static SpecDiagnostic At(string code, string file, int line, int column, string message) =>
        new() { Code = code, Message = message, File = file, Line = line, Column = column };
}
