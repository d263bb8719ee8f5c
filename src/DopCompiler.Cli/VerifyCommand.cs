using System.CommandLine;
using DopCompiler.Model;
using DopCompiler.Search;
using DopCompiler.Spec;
using DopCompiler.Search.Document;

namespace DopCompiler.Cli;

/// <summary>
/// <c>dop verify</c>: does a committed policy still match the spec and the model? Hashes only, no TorchSharp, so CI
/// builds that skip the search stay fast. A mismatch is warning DOP040, not an error: the policy still compiles.
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "Path of the dop.yaml spec." };
        var policy = new Option<string>("--policy") { Description = "The committed policy file.", Required = true };
        var command = new Command("verify", "Warn when a committed policy no longer matches its model or spec.") { spec, policy };
        command.SetAction(result => CommandGuard.Run(_ =>
        {
            var parsed = CommandGuard.ParseSpec(result.GetValue(spec)!);
            var document = PolicyFileReader.Read(result.GetValue(policy)!);
            var modelHash = SearchInputs.HashModel(parsed.Model);
            if (modelHash != document.Model.Hash)
            {
                Console.Error.WriteLine($"{parsed.SourcePath}: warning {DiagnosticCodes.PolicyOutOfDate}: the policy {result.GetValue(policy)} was made for another model (hash {Short(document.Model.Hash)}, the model folder now has {Short(modelHash)}); rebuild with DopSearch=always to refresh it");
                return ExitCodes.Success;
            }

            var validation = ValidationSetReader.Read(parsed.Validation);
            if (validation.Succeeded && SearchInputs.Of(parsed, validation.Value!, parsed.Budget.Value).PolicyKey != document.SpecHash)
            {
                Console.Error.WriteLine($"{parsed.SourcePath}: warning {DiagnosticCodes.PolicyOutOfDate}: the policy {result.GetValue(policy)} was made from another spec or validation set; rebuild with DopSearch=always to refresh it");
                return ExitCodes.Success;
            }

            // The build takes the class's names from the policy (written by this tool's spec parser): say when the spec's
            // output section has moved on since.
            if (document.Output is { } names && (names.ClassName != parsed.Output.ClassName || names.Namespace != parsed.Output.Namespace))
            {
                Console.Error.WriteLine($"{parsed.SourcePath}: warning {DiagnosticCodes.PolicyOutOfDate}: the policy {result.GetValue(policy)} names the class {names.Namespace}.{names.ClassName}, the spec's output section {parsed.Output.Namespace}.{parsed.Output.ClassName}; rebuild with DopSearch=always to refresh it");
            }

            // The search's own warnings stand as long as the policy does (warnings as errors keep failing CI).
            foreach (var warning in document.Warnings ?? [])
            {
                Console.Error.WriteLine($"{parsed.SourcePath}: warning {warning.Code}: {warning.Message}");
            }

            return ExitCodes.Success;
        }, CancellationToken.None, needsTorch: false));
        return command;
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
