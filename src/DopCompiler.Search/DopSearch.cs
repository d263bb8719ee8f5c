using System.Diagnostics;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Document;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Solving;
using DopCompiler.Search.Timing;
using DopCompiler.Spec;

namespace DopCompiler.Search;

/// <summary>
/// The whole search for one spec, as named phases that pass records: setup (validation set, config, keys), curves or
/// the curve cache (<see cref="CurvePhase"/>, with the n_v curve), the time model (<see cref="TimeModelPhase"/>), the
/// budget solve (<see cref="SolvePhase"/>), the measured joint KL (<see cref="MeasurePhase"/>) and the policy document
/// (<see cref="PolicyDocumentFactory.FromSearch"/>). The CLI's <c>search</c> and <c>solve</c> commands call this.
/// </summary>
public static class DopSearch
{
    public static SearchOutcome Run(DopSpec spec, SearchOptions options, ISearchProgress progress, CancellationToken cancellation = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var statistics = new SearchStatistics();
        progress = new CancellableProgress(progress, cancellation);
        var setup = SearchSetup.Prepare(spec, options, progress);
        var cache = new CurveCache(options.CacheFolder);
        using var workspace = new SearchWorkspace(setup, progress, statistics);

        var curves = CurvePhase.Run(setup, cache, workspace, progress, statistics);
        var layout = new MeanLayout(setup.Groups, curves.Entry.MeanSizes, curves.Entry.MeanAlwaysKept);
        var (time, entry) = TimeModelPhase.Run(setup, curves.Entry, layout, cache, workspace, progress);
        var pricing = SearchPricing.Of(spec, setup.Config, layout, time, setup.Layers);
        var solved = SolvePhase.Run(setup, entry, pricing, progress);
        var measurement = MeasurePhase.Run(setup, entry, pricing, solved, workspace, cache, progress, statistics);
        var document = PolicyDocumentFactory.FromSearch(setup, entry, pricing, solved, measurement.MeasuredKl);

        statistics.Elapsed = stopwatch.Elapsed;
        return new SearchOutcome(document, statistics, curves.CacheHit, measurement.Checks);
    }

    /// <summary>"attention/image=4 mlp/image=6": a policy in one line for logs and reports.</summary>
    public static string Describe(DepthPolicy policy) =>
        string.Join(" ", policy.AttentionDepth.Where(d => d.Value > 0).OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"attention/{d.Key}={d.Value}")
            .Concat(policy.MlpDepth.Where(d => d.Value > 0).OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"mlp/{d.Key}={d.Value}")))
        is { Length: > 0 } text ? text : "(nothing pruned)";

    private sealed class CancellableProgress(ISearchProgress inner, CancellationToken cancellation) : ISearchProgress
    {
        public void Info(string message)
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Info(message);
        }

        public void Step(string phase, int done, int total)
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Step(phase, done, total);
        }

        public void Warning(string code, string message) => inner.Warning(code, message);
    }
}
