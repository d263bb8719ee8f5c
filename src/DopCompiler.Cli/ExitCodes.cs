namespace DopCompiler.Cli;

/// <summary>The tool's exit codes (README and docs/cli.md list them).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Invalid input: diagnostics were printed in canonical form.</summary>
    public const int InvalidInput = 1;

    /// <summary>An internal error: one <c>dop: error DOP099</c> line was printed.</summary>
    public const int InternalError = 2;

    /// <summary>Cancelled (Ctrl+C or build cancellation); nothing partial was written.</summary>
    public const int Cancelled = 130;
}
