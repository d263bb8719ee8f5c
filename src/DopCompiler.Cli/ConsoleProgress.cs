using System.Diagnostics;
using DopCompiler.Search;

namespace DopCompiler.Cli;

/// <summary>
/// Progress as plain <c>dop: </c> lines on stderr (what MSBuild and CI logs show): each phase's start, then
/// <c>[n/m]</c> with the time left, at most about once a second so logs stay readable.
/// </summary>
public sealed class ConsoleProgress : ISearchProgress
{
    private readonly TextWriter _output;
    private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
    private string? _phase;
    private Stopwatch _phaseClock = Stopwatch.StartNew();
    private string? _stepKind;

    private readonly string _origin;

    /// <param name="output">Where lines go (stderr).</param>
    /// <param name="origin">The file warnings are reported against (the spec), or null for <c>dop</c>.</param>
    public ConsoleProgress(TextWriter output, string? origin = null)
    {
        _output = output;
        _origin = origin ?? "dop";
    }

    public void Warning(string code, string message) => _output.WriteLine($"{_origin}: warning {code}: {message}");

    public void Info(string message) => _output.WriteLine($"dop: {message}");

    public void Step(string phase, int done, int total)
    {
        // "curve attention/image depth 4" and "curve attention/image depth 6" share the kind "curve": one ETA clock.
        var kind = phase.Split(' ')[0];
        if (kind != _stepKind)
        {
            _stepKind = kind;
            _phaseClock = Stopwatch.StartNew();
        }

        var finished = done == total;
        if (!finished && done > 0 && _sinceLast.Elapsed < TimeSpan.FromSeconds(1) && phase == _phase)
        {
            return;
        }

        _phase = phase;
        _sinceLast.Restart();
        var eta = done > 0 && !finished
            ? $" (time left {TimeSpan.FromSeconds(_phaseClock.Elapsed.TotalSeconds / done * (total - done)):mm\\:ss})"
            : finished ? $" (done in {_phaseClock.Elapsed.TotalSeconds:0.0} s)" : string.Empty;
        _output.WriteLine($"dop: [{done}/{total}] {phase}{eta}");
    }
}
