using System.Globalization;
using DopCompiler.Model;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Phase 1 of <see cref="DopSearch"/>: the divergence curves from the curve cache, merged from shards
/// (<see cref="SearchOptions.ShardFolders"/>), or measured on the validation set (each parameter alone, then the n_v
/// curve) together with the mean layout, and written to the cache.
/// </summary>
internal static class CurvePhase
{
    public static CurveSet Run(SearchSetup setup, CurveCache cache, SearchWorkspace workspace, ISearchProgress progress, SearchStatistics statistics)
    {
        var entry = setup.Options.UseCache ? cache.TryRead(setup.Inputs.CurveKey) : null;
        var plan = CurvePlan.Of(setup);
        if (setup.Options.ShardFolders.Count > 0)
        {
            // The shards are checked even when the cache holds the curves: a wrong artifact is an error, not ignored.
            var merged = CurveShardMerge.Merge(plan, setup.Options.ShardFolders, progress);
            // The time model and the measured KLs do not depend on the curves: a warm cache keeps them.
            entry = merged with { Time = entry?.Time, MeasuredKl = entry?.MeasuredKl };
            cache.Write(entry);
            progress.Info($"curves merged from shards into the cache ({cache.Folder}): no validation run for curve points");
            return new CurveSet(entry, CacheHit: true);
        }

        if (entry is not null)
        {
            progress.Info($"curves from the cache ({cache.Folder}): no validation run");
            return new CurveSet(entry, CacheHit: true);
        }

        var spec = setup.Spec;
        var context = workspace.PrepareContext();
        var estimate = SearchEstimate.Of(setup.Layers, spec.Grid.Step, plan.Parameters.Count, setup.Options.ReusePrefix, setup.TokenCountGrid?.Length ?? 0,
            setup.Options.RandomPolicies, statistics.ReferencePass);
        CheckEstimate(setup, estimate, "", progress);

        progress.Info($"measuring {plan.Parameters.Count} divergence curves on {context.Samples.Count} samples (grid step {spec.Grid.Step}{(setup.Options.ReusePrefix ? ", prefix reuse" : "")})");
        var measured = new CurveBuilder(context, statistics).Measure(plan.Points, setup.Options.ReusePrefix, progress);
        var mean = MeanLayout.Of(context);
        entry = plan.Entry(context.Samples.Count, mean.Sizes, mean.AlwaysKept, mean.Covariance, measured);
        cache.Write(entry);
        return new CurveSet(entry, CacheHit: false);
    }

    /// <summary>Prints the estimate; DOP047 when it exceeds the spec's <c>max_search_minutes</c>.</summary>
    public static void CheckEstimate(SearchSetup setup, SearchEstimate estimate, string prefix, ISearchProgress progress)
    {
        var spec = setup.Spec;
        progress.Info(prefix + estimate.Describe() + (spec.MaxSearchMinutes is { } limit ? string.Create(CultureInfo.InvariantCulture, $"; max_search_minutes: {limit}") : ""));
        if (spec.MaxSearchMinutes is { } max && estimate.Total.TotalMinutes > max)
        {
            var limitText = max.ToString(CultureInfo.InvariantCulture);
            throw new DopException(DiagnosticCodes.SearchTooLong, $"{prefix}the {estimate.Describe()} exceeds max_search_minutes: {limitText}; fewer validation samples, a larger "
                + "grid.step, fewer groups or modules, divergence.positions: first_answer, or more shards (dop search --shard i/n) make it cheaper (docs/spec.md, 'Big models')", spec.SourcePath);
        }
    }
}
