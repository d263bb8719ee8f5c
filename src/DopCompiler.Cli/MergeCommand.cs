using System.CommandLine;
using DopCompiler.Search;
using DopCompiler.Search.Curves;

namespace DopCompiler.Cli;

/// <summary>
/// <c>dop merge &lt;spec&gt; &lt;shard folders...&gt;</c>: checks the shards of a <c>--shard i/n</c> split against the spec and
/// writes the whole curves into the curve cache, loading no model; <c>dop search</c> (or a build pointed at the cache
/// with <c>DopCacheDir</c>) then solves from them.
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "Path of the dop.yaml spec the shards were measured for." };
        var folders = new Argument<string[]>("shards") { Description = "Folders holding the shard files (searched with their subfolders).", Arity = ArgumentArity.OneOrMore };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Curve cache folder to write the merged curves into (default: ~/.cache/dopcompiler/curves)." };
        var command = new Command("merge", "Merge the curve shards of 'dop search --shard i/n' jobs into the curve cache (no validation run).") { spec, folders, cacheDir };
        command.SetAction(result => CommandGuard.Run(_ =>
        {
            var parsed = CommandGuard.ParseSpec(result.GetValue(spec)!);
            var options = new SearchOptions { CacheFolder = result.GetValue(cacheDir) ?? CurveCache.DefaultFolder() };
            var progress = new ConsoleProgress(Console.Error, parsed.SourcePath);
            var written = DopSearch.MergeShards(parsed, options, result.GetValue(folders)!, progress);
            progress.Info($"merged curves written: {written}");
            return ExitCodes.Success;
        }, DopCommandLine.ProcessCancellation()));
        return command;
    }
}
