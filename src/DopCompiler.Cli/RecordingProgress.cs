using DopCompiler.Policy;
using DopCompiler.Search;

namespace DopCompiler.Cli;

/// <summary>
/// Passes everything on and keeps the coded warnings, so the policy can carry them and the tool can repeat them when it
/// later finds the policy up to date (a build with warnings as errors must keep failing while the cause remains).
/// </summary>
public sealed class RecordingProgress(ISearchProgress inner) : ISearchProgress
{
    private readonly List<PolicyWarning> _warnings = [];

    /// <summary>The warnings reported so far, sorted by code then text, without repeats; null when there were none.</summary>
    public List<PolicyWarning>? Warnings =>
        _warnings.Count == 0
            ? null
            : _warnings.DistinctBy(w => (w.Code, w.Message)).OrderBy(w => w.Code, StringComparer.Ordinal).ThenBy(w => w.Message, StringComparer.Ordinal).ToList();

    public void Info(string message) => inner.Info(message);

    public void Step(string phase, int done, int total) => inner.Step(phase, done, total);

    public void Warning(string code, string message)
    {
        _warnings.Add(new PolicyWarning { Code = code, Message = message });
        inner.Warning(code, message);
    }
}
