using DopCompiler.Model.Pruning;

namespace DopCompiler.Bench;

/// <summary>One method at one budget: how to build its plan per test item, and what it scored.</summary>
public sealed class MethodRun
{
    public const string Unpruned = "unpruned";
    public const string Dop = "DOP";
    public const string DopLatency = "DOP (latency_fraction)";
    public const string FastV = "FastV";
    public const string Uniform = "uniform [CLS]";
    public const string Random = "random";

    public required string Method { get; init; }

    /// <summary>The FLOPs fraction asked (or the latency fraction for <see cref="DopLatency"/>); 1 for unpruned.</summary>
    public required double Target { get; init; }

    /// <summary>For DOP (latency): the FLOPs level whose baselines it is compared with.</summary>
    public double Level { get; init; }

    public required string Setting { get; init; }

    /// <summary>Analytic decoder prefill FLOPs fraction on the test layouts (Σ pruned / Σ unpruned).</summary>
    public double FlopsFraction { get; set; }

    /// <summary>The plan for a test item (null: the unpruned reference forward).</summary>
    public required Func<TestItem, int, ExecutionPlan?> Plan { get; init; }

    public int Correct { get; set; }

    public int Total { get; set; }

    public SortedDictionary<string, (int Correct, int Total)> PerType { get; } = new(StringComparer.Ordinal);

    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    public double PrefillMs { get; set; } = double.NaN;

    public double EndToEndMs { get; set; } = double.NaN;

    public double PrefillFraction { get; set; } = double.NaN;

    public double EndToEndFraction { get; set; } = double.NaN;

    /// <summary>The time model's predicted prefill fraction (DOP latency_fraction only).</summary>
    public double PredictedLatency { get; set; } = double.NaN;

    public void Record(string type, bool ok)
    {
        Correct += ok ? 1 : 0;
        Total++;
        var previous = PerType.GetValueOrDefault(type);
        PerType[type] = (previous.Correct + (ok ? 1 : 0), previous.Total + 1);
    }
}
