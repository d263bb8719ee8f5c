using System.CommandLine;
using DopCompiler.Search.Document;

namespace DopCompiler.Cli;

/// <summary><c>dop report</c>: one self-contained HTML file with the policy's curves, frontier and layer map.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var policy = new Argument<string>("policy") { Description = "Policy file." };
        var output = new Option<string?>("--out") { Description = "HTML file to write (default: the policy's name with .html)." };
        var command = new Command("report", "Write an HTML report of a policy (SVG plots, no script).") { policy, output };
        command.SetAction(result => CommandGuard.Run(_ =>
        {
            var path = result.GetValue(policy)!;
            var document = PolicyFileReader.Read(path);
            var outPath = result.GetValue(output) ?? SearchCommand.ReportPathFor(path);
            SearchCommand.WriteReport(outPath, document);
            Console.Error.WriteLine($"dop: report written: {Path.GetFullPath(outPath)}");
            return ExitCodes.Success;
        }, CancellationToken.None, needsTorch: false));
        return command;
    }
}
