using DopCompiler.Model;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Curves;

/// <summary>
/// <c>dop search --shard i/n</c>: the reference run, then only this shard's curve points (<see cref="CurveShard"/>),
/// written as a shard file into the cache folder (what a CI job uploads). No solve and no policy: the job that merges
/// the shards does that.
/// </summary>
internal static class CurveShardPhase
{
    public static ShardOutcome Run(SearchSetup setup, CurveShard shard, CurveCache cache, SearchWorkspace workspace, ISearchProgress progress, SearchStatistics statistics)
    {
        var plan = CurvePlan.Of(setup);
        if (shard.Count > plan.Points.Count)
        {
            throw new DopException(DiagnosticCodes.Usage,
                $"--shard {shard}: this spec has {plan.Points.Count} curve points, so at most {plan.Points.Count} shards", setup.Spec.SourcePath);
        }

        var points = plan.PointsOf(shard);
        if (setup.Options.UseCache && cache.TryReadShard(setup.Inputs.CurveKey, shard) is not null)
        {
            progress.Info($"shard {shard} is already in {cache.Folder}: no validation run");
            return new ShardOutcome(shard, cache.ShardPathOf(setup.Inputs.CurveKey, shard), points.Count, plan.Points.Count, Reused: true);
        }

        var context = workspace.PrepareContext();
        CurvePhase.CheckEstimate(setup, SearchEstimate.OfPoints(points, setup.Layers, setup.Options.ReusePrefix, statistics.ReferencePass), $"shard {shard}: ", progress);
        progress.Info($"shard {shard}: measuring {points.Count} of {plan.Points.Count} curve points on {context.Samples.Count} samples");
        var measured = new CurveBuilder(context, statistics).Measure(points, setup.Options.ReusePrefix, progress);
        var mean = MeanLayout.Of(context);
        var path = cache.WriteShard(new CurveCacheEntry
        {
            Key = setup.Inputs.CurveKey,
            ToolVersion = ToolVersion.Current,
            Layers = setup.Layers,
            Samples = context.Samples.Count,
            MeanSizes = mean.Sizes,
            MeanAlwaysKept = mean.AlwaysKept,
            LayoutCovariance = mean.Covariance,
            Curves = [],
            Shard = shard,
            Points = points.Select(p => new CurvePoint(p.Module, p.Group, p.Value, measured[p])).ToList(),
        });
        progress.Info($"shard {shard} written: {path}");
        return new ShardOutcome(shard, path, points.Count, plan.Points.Count, Reused: false);
    }
}
