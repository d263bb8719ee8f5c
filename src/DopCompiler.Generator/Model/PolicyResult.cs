namespace DopCompiler.Generator.Model
{
    /// <summary>What reading one policy produced: a class to emit (null on error) and its diagnostics.</summary>
    internal sealed record PolicyResult(ClassSpec? Class, EquatableArray<DiagnosticInfo> Diagnostics, string FileName, string Path);
}
