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
/// budget solve (<see cref="SolvePhase"/>, or for a quality target the measured frontier walk, <see cref="QualityPhase"/>), the measured joint KL (<see cref="MeasurePhase"/>) and the policy document
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
        var layout = new MeanLayout(setup.Groups, curves.Entry.MeanSizes, curves.Entry.MeanAlwaysKept, curves.Entry.LayoutCovariance);
        if (spec.Budgets is { } budgets)
        {
            var (combined, checks) = RunVariants(setup, budgets, curves.Entry, layout, cache, workspace, progress, statistics);
            statistics.Elapsed = stopwatch.Elapsed;
            return new SearchOutcome(combined, statistics, curves.CacheHit, checks);
        }

        var (time, entry) = TimeModelPhase.Run(setup, curves.Entry, layout, cache, workspace, progress);
        var pricing = SearchPricing.Of(spec, setup.Config, layout, time, setup.Layers);
        var solved = spec.Budget.IsQualityTarget
            ? QualityPhase.Run(setup, spec.Budget with { Value = setup.Budget }, entry, pricing, workspace, progress, statistics)
            : SolvePhase.Run(setup, entry, pricing, progress);
        var measurement = MeasurePhase.Run(setup, entry, pricing, solved, workspace, cache, progress, statistics);
        var document = PolicyDocumentFactory.FromSearch(setup, entry, pricing, solved, measurement.MeasuredKl);

        statistics.Elapsed = stopwatch.Elapsed;
        return new SearchOutcome(document, statistics, curves.CacheHit, measurement.Checks);
    }

    /// <summary>
    /// One shard of the curve points (<c>dop search --shard i/n</c>): the reference run and this shard's points, written
    /// as a shard file into <see cref="SearchOptions.CacheFolder"/>; no solve, no policy. Reused when that folder already
    /// holds this shard for these inputs (unless <see cref="SearchOptions.UseCache"/> is off).
    /// </summary>
    public static ShardOutcome RunShard(DopSpec spec, SearchOptions options, CurveShard shard, ISearchProgress progress, CancellationToken cancellation = default)
    {
        progress = new CancellableProgress(progress, cancellation);
        var statistics = new SearchStatistics();
        var setup = SearchSetup.Prepare(spec, options, progress);
        using var workspace = new SearchWorkspace(setup, progress, statistics);
        return CurveShardPhase.Run(setup, shard, new CurveCache(options.CacheFolder), workspace, progress, statistics);
    }

    /// <summary>
    /// <c>dop merge</c>: the shards in <paramref name="folders"/> checked and merged into the whole curves, written to
    /// <see cref="SearchOptions.CacheFolder"/> (keeping a stored time model and measured KLs); loads no model. Returns the
    /// cache file.
    /// </summary>
    public static string MergeShards(DopSpec spec, SearchOptions options, IReadOnlyList<string> folders, ISearchProgress progress)
    {
        var setup = SearchSetup.Prepare(spec, options, progress);
        var cache = new CurveCache(options.CacheFolder);
        var existing = cache.TryRead(setup.Inputs.CurveKey);
        cache.Write(CurveShardMerge.Merge(CurvePlan.Of(setup), folders, progress) with { Time = existing?.Time, MeasuredKl = existing?.MeasuredKl });
        return cache.PathOf(setup.Inputs.CurveKey);
    }

    /// <summary>
    /// Several named budgets (<c>budgets:</c>): the curves (and time model) of one search, then per budget in spec order the
    /// solve, the measured check and a document, combined into one policy file with a variant per budget. The first budget
    /// chooses the image-token count when n_v is searched; the others keep it (one class, one prompt layout).
    /// </summary>
    private static (Policy.PolicyDocument Document, List<ApproximationCheck> Checks) RunVariants(SearchSetup setup, EquatableArray<NamedBudget> budgets,
        CurveCacheEntry entry, MeanLayout layout, CurveCache cache, SearchWorkspace workspace, ISearchProgress progress, SearchStatistics statistics)
    {
        var documents = new List<(string Name, Policy.PolicyDocument Document)>();
        var checks = new List<ApproximationCheck>();
        int? keptImageTokens = null;
        for (var i = 0; i < budgets.Count; i++)
        {
            var (name, budget) = (budgets[i].Name, budgets[i].Budget);
            progress.Info($"budget '{name}' ({i + 1} of {budgets.Count})");
            var variantSpec = setup.Spec with { Budget = budget, Budgets = null };
            var variant = setup with
            {
                Spec = variantSpec,
                Budget = budget.Value,
                FixedImageTokens = keptImageTokens,
                // The random-policy checks describe the curves, not a budget: once is enough.
                Options = i == 0 ? setup.Options : setup.Options with { RandomPolicies = 0 },
            };
            var (time, timed) = TimeModelPhase.Run(variant, entry, layout, cache, workspace, progress);
            entry = timed;
            var pricing = SearchPricing.Of(variantSpec, setup.Config, layout, time, setup.Layers);
            var solved = budget.IsQualityTarget
                ? QualityPhase.Run(variant, budget with { Value = variant.Budget }, entry, pricing, workspace, progress, statistics)
                : SolvePhase.Run(variant, entry, pricing, progress);
            keptImageTokens ??= solved.KeptImageTokens;
            var measurement = MeasurePhase.Run(variant, entry, pricing, solved, workspace, cache, progress, statistics);
            // The measure phase may have stored this variant's measured KL with the curves: the next one adds to that entry.
            entry = cache.TryRead(entry.Key) ?? entry;
            documents.Add((name, PolicyDocumentFactory.FromSearch(variant, entry, pricing, solved, measurement.MeasuredKl)));
            if (i == 0)
            {
                // The outcome's checks are the chosen (default) policy's, then the random policies'; later variants state
                // their own measured KL in their documents.
                checks.AddRange(measurement.Checks);
            }
        }

        return (PolicyDocumentFactory.Combine(documents), checks);
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
