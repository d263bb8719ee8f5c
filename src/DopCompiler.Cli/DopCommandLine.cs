using System.CommandLine;
using System.Runtime.InteropServices;
using DopCompiler.Model;

namespace DopCompiler.Cli;

/// <summary>The <c>dop</c> command tree. Each command's work lives in its own class.</summary>
public static class DopCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("DopCompiler: depth-wise operation pruning for LLaVA-style models, at build time.");
        root.Subcommands.Add(SearchCommand.Create(solveOnly: false));
        root.Subcommands.Add(SearchCommand.Create(solveOnly: true));
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(TrimCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. A malformed one (missing or unknown option, a value that is not a number) is
    /// error DOP043 on stderr and exit code 1, like any other invalid input, instead of the parser's uncoded text.
    /// </summary>
    public static int Run(string[] args)
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count == 0)
        {
            return parsed.Invoke();
        }

        foreach (var error in parsed.Errors)
        {
            // One line per error: the parser lists allowed values on indented lines of their own.
            var message = string.Join(" ", error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"dop: error {DiagnosticCodes.Usage}: {message} (see dop --help)");
        }

        return ExitCodes.InvalidInput;
    }

    /// <summary>A token cancelled by Ctrl+C or SIGTERM, so long work stops cleanly and leaves no partial file.</summary>
    public static CancellationToken ProcessCancellation()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            source.Cancel();
        };
        // Kept alive for the process lifetime: the registration is undone when it is collected.
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            source.Cancel();
        }));
        return source.Token;
    }

    private static readonly List<PosixSignalRegistration> Registrations = [];
}
