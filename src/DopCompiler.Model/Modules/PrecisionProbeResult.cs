namespace DopCompiler.Model.Modules;

/// <summary>
/// One machine's measured matrix-product speed in fp32 and bf16 (<see cref="PrecisionProbe"/>), and the choice for
/// <c>precision: auto</c>: bf16 only where it is at least <see cref="PrecisionProbe.RequiredSpeedup"/> times faster.
/// </summary>
public sealed record PrecisionProbeResult(string Machine, int Version, double Fp32Gflops, double Bf16Gflops)
{
    public ComputePrecision Choice => Bf16Gflops >= PrecisionProbe.RequiredSpeedup * Fp32Gflops ? ComputePrecision.Bf16 : ComputePrecision.Fp32;

    /// <summary>"bf16 (probe: fp32 150 GFLOP/s, bf16 640 GFLOP/s)": the line the tools print.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{(Choice == ComputePrecision.Bf16 ? "bf16" : "fp32")} (probe: fp32 {Fp32Gflops:F0} GFLOP/s, bf16 {Bf16Gflops:F0} GFLOP/s on this CPU)");
}
