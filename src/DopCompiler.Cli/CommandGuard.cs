using DopCompiler.Model;
using DopCompiler.Model.Native;
using DopCompiler.Spec;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Cli;

/// <summary>
/// Runs a command body with the process-wide duties done once: native libraries loaded before TorchSharp, every
/// failure turned into canonical diagnostic lines and an exit code, never a stack trace.
/// </summary>
public static class CommandGuard
{
    public static int Run(Func<CancellationToken, int> body, CancellationToken cancellation, bool needsTorch = true)
    {
        try
        {
            if (needsTorch)
            {
                TorchNativeLoader.EnsureLoaded();
            }

            return body(cancellation);
        }
        catch (DopException e)
        {
            Console.Error.WriteLine(e.ToCanonicalString());
            return ExitCodes.InvalidInput;
        }
        catch (SpecException e)
        {
            foreach (var diagnostic in e.Diagnostics)
            {
                Console.Error.WriteLine(diagnostic.ToString());
            }

            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("dop: cancelled; no output was written");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An internal error still gets one readable line (the build shows it as an error), and the detail for a bug report.
            Console.Error.WriteLine($"dop: error {DiagnosticCodes.InternalError}: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("DOP_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return ExitCodes.InternalError;
        }
    }

    /// <summary>Parses the spec or throws its diagnostics.</summary>
    public static DopSpec ParseSpec(string path)
    {
        var result = DopSpecParser.Parse(path);
        return result.Succeeded ? result.Value! : throw new SpecException(result.Diagnostics);
    }
}
