using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Timing;

/// <summary>
/// A per-layer time model fitted on the build machine (§6, latency budget): attention t(n) = a + b·n + c·n²,
/// MLP t(n) = a + b·n, in milliseconds, n = tokens kept. Machine-specific: cached with the machine's identity.
/// </summary>
public sealed record TimeModel(double AttentionA, double AttentionB, double AttentionC, double MlpA, double MlpB, string Machine) : ILayerCostModel
{
    public string Unit => "ms";

    /// <summary>The <see cref="TimeModelProbe.Version"/> that fitted this model (0: before versions were recorded).</summary>
    public int Probe { get; init; }

    public double MlpFixed => MlpA;

    public double MlpPerToken => MlpB;

    public double Attention(double tokens) => AttentionA + (AttentionB * tokens) + (AttentionC * tokens * tokens);

    public double AttentionQuadratic => AttentionC;

    /// <summary>
    /// Identity of this machine for cache keys: CPU model and core count, plus the device when the forward runs on
    /// a GPU (a CPU-fitted model says nothing about a GPU's times, nor the reverse).
    /// </summary>
    public static string MachineIdentity(TorchSharp.torch.Device? device = null)
    {
        var cpu = "unknown-cpu";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null)
            {
                cpu = line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (IOException)
        {
            // Not Linux or not readable: the core count still separates most machines.
        }

        var onDevice = device.IsHost() ? string.Empty : $"; device={device}";
        return $"{cpu}; cores={Environment.ProcessorCount}{onDevice}";
    }
}
