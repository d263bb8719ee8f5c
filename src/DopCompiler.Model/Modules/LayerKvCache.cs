using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// One decoder layer's key/value cache. Ragged across layers: it holds only the positions kept as keys/values at
/// this layer, so pruning makes decoding cheaper too. Keys are stored after RoPE at their original positions.
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    /// <summary>[H_kv, n, d_h], or null while empty.</summary>
    public Tensor? Keys { get; private set; }

    public Tensor? Values { get; private set; }

    public long Length => Keys?.shape[1] ?? 0;

    public void Append(Tensor keys, Tensor values)
    {
        if (Keys is null)
        {
            // Detached from any dispose scope: the cache outlives the step that filled it.
            Keys = keys.detach().clone().DetachFromDisposeScope();
            Values = values.detach().clone().DetachFromDisposeScope();
            return;
        }

        var newKeys = cat([Keys, keys], 1).DetachFromDisposeScope();
        var newValues = cat([Values!, values], 1).DetachFromDisposeScope();
        Keys.Dispose();
        Values!.Dispose();
        Keys = newKeys;
        Values = newValues;
    }

    public void Dispose()
    {
        Keys?.Dispose();
        Values?.Dispose();
    }
}
