using System.CommandLine;
using System.Globalization;
using DopCompiler.Inputs.Hashing;
using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Policy;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.Spec;

namespace DopCompiler.Cli;

/// <summary>
/// <c>dop trim</c>: writes the trimmed checkpoint a generated class needs (see <see cref="TrimmedCheckpoint"/>) for a
/// policy that already exists, e.g. a committed one. No search and no TorchSharp: tensors are copied as stored bytes.
/// <c>dop search --trimmed-out</c> does the same right after the search.
/// </summary>
public static class TrimCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "Path of the dop.yaml spec (its model: folder is the source checkpoint)." };
        var policy = new Option<string>("--policy") { Description = "The policy file the generated class is compiled from.", Required = true };
        var output = new Option<string>("--out") { Description = "The folder to write (replaced atomically).", Required = true };
        var command = new Command("trim", "Write the checkpoint a policy's generated class reads: config, tokenizer and only the tensors it uses.") { spec, policy, output };
        command.SetAction(result => CommandGuard.Run(cancellation =>
        {
            var parsed = CommandGuard.ParseSpec(result.GetValue(spec)!);
            var policyPath = result.GetValue(policy)!;
            var document = PolicyFileReader.Read(policyPath);
            var progress = new ConsoleProgress(Console.Error, parsed.SourcePath);
            var modelHash = ModelHash.Of(parsed.Model);
            if (modelHash != document.Model.Hash)
            {
                // The trimmed file records the hash of what it was really made from, so the generated class refuses it on load.
                progress.Warning(DiagnosticCodes.PolicyOutOfDate, $"the policy {policyPath} was made for another model (hash {Short(document.Model.Hash)}, the model folder now has {Short(modelHash)}); the trimmed model records the folder's hash and the generated class will refuse it until the policy is refreshed (DopSearch=always)");
            }

            Write(parsed, document, modelHash, result.GetValue(output)!, progress, cancellation);
            return ExitCodes.Success;
        }, DopCommandLine.ProcessCancellation(), needsTorch: false));
        return command;
    }

    /// <summary>Writes (or finds up to date) the trimmed checkpoint for <paramref name="document"/> and reports it.</summary>
    public static TrimResult Write(DopSpec spec, PolicyDocument document, string sourceModelHash, string outFolder, ConsoleProgress progress, CancellationToken cancellation)
    {
        var full = Path.GetFullPath(outFolder);
        var result = TrimmedCheckpoint.Write(spec.Model, full, sourceModelHash, document.SpecHash, PolicyModules.ModulesRead(document), cancellation);
        if (result.UpToDate)
        {
            progress.Info($"trimmed model is up to date: {full}");
        }
        else
        {
            progress.Info(string.Create(CultureInfo.InvariantCulture,
                $"trimmed model written: {full} ({result.Kept.Count} of {result.Kept.Count + result.LeftOut.Count} tensors, {Megabytes(result.TrimmedBytes)} of {Megabytes(result.SourceBytes)}; left out {result.LeftOut.Count} tensors the generated class never reads)"));
        }

        return result;
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.###", CultureInfo.InvariantCulture) + " MB";

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
