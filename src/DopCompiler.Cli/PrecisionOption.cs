using System.CommandLine;
using DopCompiler.Model;
using DopCompiler.Model.Modules;

namespace DopCompiler.Cli;

/// <summary><c>--precision auto|fp32|bf16</c> of <c>dop eval</c> and <c>dop logits</c>, resolved through the machine's probe and printed.</summary>
public static class PrecisionOption
{
    public static Option<string> Create(string fallback) => new("--precision")
    {
        Description = "Weight-product dtype: auto (bf16 only where this machine's cached probe shows it fast), fp32 or bf16.",
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>The precision to compute in; prints the choice on stderr. Unknown words are DOP043.</summary>
    public static ComputePrecision Resolve(string text)
    {
        if (!PrecisionProbe.TryParse(text, out var forced))
        {
            throw new DopException(DiagnosticCodes.Usage, $"--precision: '{text}' is not auto, fp32 or bf16");
        }

        var (precision, probe) = PrecisionProbe.Resolve(forced);
        Console.Error.WriteLine(probe is null ? $"dop: precision {(precision == ComputePrecision.Bf16 ? "bf16" : "fp32")} (forced)" : $"dop: precision {probe.Describe()}");
        return precision;
    }
}
