using DopCompiler.Policy;
using DopCompiler.Search.Solving;
using DopCompiler.Spec;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Phase 1 of <see cref="DopSearch"/>: the divergence curves from the curve cache, or measured on the validation set
/// (each parameter alone, then the n_v curve) together with the mean layout, and written to the cache.
/// </summary>
internal static class CurvePhase
{
    public static CurveSet Run(SearchSetup setup, CurveCache cache, SearchWorkspace workspace, ISearchProgress progress, SearchStatistics statistics)
    {
        var entry = setup.Options.UseCache ? cache.TryRead(setup.Inputs.CurveKey) : null;
        if (entry is not null)
        {
            progress.Info($"curves from the cache ({cache.Folder}): no validation run");
            return new CurveSet(entry, CacheHit: true);
        }

        var spec = setup.Spec;
        var context = workspace.PrepareContext();
        var modules = spec.Modules.Select(m => m == PrunableModule.Attention ? PolicyParameter.Attention : PolicyParameter.Mlp).ToArray();
        var parameters = CurveBuilder.Parameters(setup.Groups, modules);
        var estimate = SearchEstimate.Of(setup.Layers, spec.Grid.Step, parameters.Count, setup.Options.ReusePrefix, setup.TokenCountGrid?.Length ?? 0,
            setup.Options.RandomPolicies, statistics.ReferencePass);
        progress.Info(estimate.Describe() + (spec.MaxSearchMinutes is { } limit ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; max_search_minutes: {limit}") : ""));
        if (spec.MaxSearchMinutes is { } max && estimate.Total.TotalMinutes > max)
        {
            var limitText = max.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new Model.DopException(Model.DiagnosticCodes.SearchTooLong, $"the {estimate.Describe()} exceeds max_search_minutes: {limitText}; fewer validation samples, a larger "
                + "grid.step, fewer groups or modules, or divergence.positions: first_answer make it cheaper (docs/spec.md, 'Big models')", spec.SourcePath);
        }

        progress.Info($"measuring {parameters.Count} divergence curves on {context.Samples.Count} samples (grid step {spec.Grid.Step}{(setup.Options.ReusePrefix ? ", prefix reuse" : "")})");
        var curves = new CurveBuilder(context, statistics).Build(parameters, spec.Grid.Step, setup.Options.ReusePrefix, progress);
        var countCurve = setup.TokenCountGrid is { } grid ? TokenCountPhase.Measure(setup, context, grid, progress, statistics) : null;
        var mean = MeanLayout.Of(context);
        entry = new CurveCacheEntry
        {
            Key = setup.Inputs.CurveKey,
            ToolVersion = ToolVersion.Current,
            Layers = setup.Layers,
            Samples = context.Samples.Count,
            MeanSizes = mean.Sizes,
            MeanAlwaysKept = mean.AlwaysKept,
            Curves = curves.ToList(),
            TokenCounts = countCurve,
        };
        cache.Write(entry);
        return new CurveSet(entry, CacheHit: false);
    }
}
