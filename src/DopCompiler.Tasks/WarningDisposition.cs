namespace DopCompiler.Tasks
{
    /// <summary>What the project's warning settings make of one DOP warning.</summary>
    internal enum WarningDisposition
    {
        Warning,
        Error,
        Suppressed,
    }
}
