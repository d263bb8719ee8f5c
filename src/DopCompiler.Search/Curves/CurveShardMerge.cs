using DopCompiler.Model;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Merges the shards of a search's curve points (<c>dop search --shard i/n</c>, one CI job each) into the whole cache
/// entry, checked first: every shard file made from this spec's inputs (DOP060), one split with every shard exactly once
/// and every point in its own shard (DOP062 when they overlap, DOP061 when something is missing). The curves are then
/// assembled from the points exactly as a whole search assembles them (<see cref="CurvePlan.Entry"/>).
/// </summary>
internal static class CurveShardMerge
{
    public static CurveCacheEntry Merge(CurvePlan plan, IReadOnlyList<string> folders, ISearchProgress progress)
    {
        var specPath = plan.Setup.Spec.SourcePath;
        var shards = Read(plan, folders);
        var count = shards[0].Entry.Shard!.Count;
        if (shards.Select(s => s.Entry.Shard!.Count).Distinct().Count() > 1)
        {
            throw new DopException(DiagnosticCodes.ShardOverlap, "the shards come from different splits and overlap: "
                + string.Join(", ", shards.Select(s => $"{s.Entry.Shard} in {s.File}")) + "; merge the shards of one --shard i/n split", specPath);
        }

        if (shards.GroupBy(s => s.Entry.Shard!.Index).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new DopException(DiagnosticCodes.ShardOverlap, $"shard {twice.First().Entry.Shard} is there more than once: {string.Join(", ", twice.Select(s => s.File))}; keep one", specPath);
        }

        var missing = Enumerable.Range(1, count).Except(shards.Select(s => s.Entry.Shard!.Index)).ToArray();
        if (missing.Length > 0)
        {
            throw new DopException(DiagnosticCodes.ShardMissing, $"shard{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(i => new CurveShard(i, count)))} "
                + $"missing from {string.Join(", ", folders)}; every job of the split must have run and uploaded its folder", specPath);
        }

        var first = shards[0].Entry;
        var measured = new Dictionary<CurvePointId, double>();
        foreach (var (file, entry) in shards)
        {
            if (entry.Samples != first.Samples || !entry.MeanSizes.SequenceEqual(first.MeanSizes) || !entry.MeanAlwaysKept.SequenceEqual(first.MeanAlwaysKept))
            {
                throw new DopException(DiagnosticCodes.ShardMismatch, $"{file} and {shards[0].File} disagree on the validation set's token layout; re-run the shards from one checkout", specPath);
            }

            var expected = plan.PointsOf(entry.Shard!).ToHashSet();
            foreach (var point in entry.Points!)
            {
                var id = point.ToId();
                if (!expected.Contains(id) || !measured.TryAdd(id, point.Kl))
                {
                    throw new DopException(DiagnosticCodes.ShardOverlap, $"{file} (shard {entry.Shard}) holds {id}, which is not one of its points or is there twice", specPath);
                }
            }

            if (expected.FirstOrDefault(p => !measured.ContainsKey(p)) is { } lacking)
            {
                throw new DopException(DiagnosticCodes.ShardMissing, $"{file} (shard {entry.Shard}) lacks {lacking}; re-run that shard", specPath);
            }
        }

        progress.Info($"merged {count} shards ({measured.Count} curve points) from {string.Join(", ", folders)}");
        return plan.Entry(first.Samples, first.MeanSizes, first.MeanAlwaysKept, first.LayoutCovariance, measured);
    }

    /// <summary>Every shard file in the folders (and their subfolders), each read and checked against this spec's inputs.</summary>
    private static List<(string File, CurveCacheEntry Entry)> Read(CurvePlan plan, IReadOnlyList<string> folders)
    {
        var setup = plan.Setup;
        var specPath = setup.Spec.SourcePath;
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                throw new DopException(DiagnosticCodes.ShardMissing, $"the shard folder '{folder}' does not exist", specPath);
            }

            files.UnionWith(CurveCache.ShardFilesUnder(folder));
        }

        if (files.Count == 0)
        {
            throw new DopException(DiagnosticCodes.ShardMissing,
                $"no curve shard (curves-*.shard-i-of-n.json, written by dop search --shard i/n) in {string.Join(", ", folders)}", specPath);
        }

        var shards = new List<(string, CurveCacheEntry)>();
        foreach (var file in files)
        {
            var entry = CurveCache.TryReadFile(file);
            if (entry is not { Shard: { } shard, Points: not null } || shard.Index < 1 || shard.Index > shard.Count)
            {
                throw new DopException(DiagnosticCodes.ShardMismatch, $"{file} is damaged or not a curve shard; re-run that shard", specPath);
            }

            if (entry.Key != setup.Inputs.CurveKey)
            {
                var why = entry.ToolVersion != ToolVersion.Current ? $"by dop {entry.ToolVersion}, this is {ToolVersion.Current}"
                    : entry.Layers != setup.Layers ? $"for a model of {entry.Layers} layers, this one has {setup.Layers}"
                    : entry.Samples != setup.Validation.Samples.Count ? $"on {entry.Samples} validation samples, this spec has {setup.Validation.Samples.Count}"
                    : "from other inputs (model weights, validation set, groups, modules, divergence, grid or precision)";
                throw new DopException(DiagnosticCodes.ShardMismatch,
                    $"{file} (shard {shard}) was measured {why}: its inputs hash {entry.Key[..12]}…, this spec's {setup.Inputs.CurveKey[..12]}…; re-run the shards with this spec, model and validation set", specPath);
            }

            shards.Add((file, entry));
        }

        return shards;
    }
}
