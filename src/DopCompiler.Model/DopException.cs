namespace DopCompiler.Model;

/// <summary>A user-facing failure with a stable <c>DOP0xx</c> code and, where one exists, a file location.</summary>
/// <remarks>
/// Tools print it in MSBuild's canonical form (<see cref="ToCanonicalString"/>) so that a build shows it as a
/// real error with code, file and line instead of a stack trace.
/// </remarks>
public sealed class DopException : Exception
{
    public DopException(string code, string message, string? file = null, int line = 0, int column = 0, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The diagnostic code, e.g. <c>DOP010</c>.</summary>
    public string Code { get; }

    public string? File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary><c>file(line,col): error DOP0xx: message</c>, or <c>dop: error DOP0xx: message</c> without a file.</summary>
    public string ToCanonicalString()
    {
        var origin = File is null ? "dop" : Line > 0 ? $"{File}({Line},{Math.Max(Column, 1)})" : File;
        return $"{origin}: error {Code}: {Message}";
    }
}
