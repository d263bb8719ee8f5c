namespace DopCompiler.Inputs.Diagnostics;

/// <summary>The spec layer's use of <see cref="InputFile"/>: a non-regular input is a <see cref="SpecDiagnostic"/> (DOP038).</summary>
internal static class RegularFiles
{
    /// <summary>The diagnostic when <paramref name="path"/> exists but is not a regular file; null otherwise (missing included).</summary>
    /// <remarks><paramref name="reportFile"/>, <paramref name="line"/> and <paramref name="column"/> place it where the path was written (a JSONL line).</remarks>
    public static SpecDiagnostic? Problem(string path, string? reportFile = null, int line = 0, int column = 0) =>
        InputFile.Irregularity(path) is { } what
            ? SpecDiagnostic.At(InputFile.NotRegularCode, reportFile ?? path, line, column, InputFile.Message(path, what))
            : null;

    /// <summary>Throws <see cref="SpecException"/> when <paramref name="path"/> exists but is not a regular file.</summary>
    public static void Check(string path)
    {
        if (Problem(path) is { } problem)
        {
            throw new SpecException(problem);
        }
    }
}
