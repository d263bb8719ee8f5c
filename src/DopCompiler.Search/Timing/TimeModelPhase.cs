using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;
using DopCompiler.Spec;

namespace DopCompiler.Search.Timing;

/// <summary>
/// Phase 2 of <see cref="DopSearch"/>: for a latency budget (or a quality target priced in latency), the time model of this machine: the cached one when it
/// was fitted here by the current probe, else a timed probe of one decoder layer, written back to the cache entry.
/// </summary>
internal static class TimeModelPhase
{
    /// <summary>The time model (null for FLOPs budgets) and the cache entry that now holds it.</summary>
    public static (TimeModel? Time, CurveCacheEntry Entry) Run(SearchSetup setup, CurveCacheEntry entry, MeanLayout layout, CurveCache cache, SearchWorkspace workspace,
        ISearchProgress progress)
    {
        if (!setup.Spec.Budget.PricedInTime)
        {
            return (null, entry);
        }

        var device = setup.Options.Device;
        if (entry.Time is { } cached && cached.Machine == TimeModel.MachineIdentity(device) && cached.Probe == TimeModelProbe.Version)
        {
            return (cached, entry);
        }

        progress.Info("fitting the time model (timed probe of one decoder layer)");
        var time = TimeModelProbe.Fit(workspace.ModelForTiming(), (int)Math.Ceiling(layout.Sizes.Sum()));
        entry = entry with { Time = time };
        cache.Write(entry);
        return (time, entry);
    }
}
