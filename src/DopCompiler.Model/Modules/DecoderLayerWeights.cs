using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// One LLaMA or Qwen2 decoder layer's weights. Q/K/V and gate/up are one <see cref="WeightMatrix"/> each (fused where the
/// residency budget allows: one product instead of three or two removes per-call fixed costs that dominate at small
/// widths). Null parts were not loaded because the policy prunes that module for every token (see <see cref="LayerModules"/>).
/// </summary>
public sealed class DecoderLayerWeights : IDisposable
{
    public Tensor? InputNorm { get; init; }

    /// <summary>[H·d_h + 2·H_kv·d_h, d]: rows of q_proj, then k_proj, then v_proj.</summary>
    public WeightMatrix? QkvProj { get; init; }

    /// <summary>[H·d_h + 2·H_kv·d_h]: Qwen2's q/k/v biases in <see cref="QkvProj"/>'s row order; null for LLaMA.</summary>
    public Tensor? QkvBias { get; init; }

    /// <summary>[d, H·d_h].</summary>
    public WeightMatrix? OProj { get; init; }

    public Tensor? PostAttentionNorm { get; init; }

    /// <summary>[2·f, d]: rows of gate_proj, then up_proj.</summary>
    public WeightMatrix? GateUpProj { get; init; }

    /// <summary>[d, f].</summary>
    public WeightMatrix? DownProj { get; init; }

    public bool HasAttention => QkvProj is not null;

    public bool HasMlp => GateUpProj is not null;

    public void Dispose()
    {
        InputNorm?.Dispose();
        QkvProj?.Dispose();
        QkvBias?.Dispose();
        OProj?.Dispose();
        PostAttentionNorm?.Dispose();
        GateUpProj?.Dispose();
        DownProj?.Dispose();
    }
}
