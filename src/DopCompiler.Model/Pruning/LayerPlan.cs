using static TorchSharp.torch;

namespace DopCompiler.Model.Pruning;

/// <summary>
/// What one decoder layer does under a policy for one layout. Row selections index the sequence as it stands at this
/// layer (after <see cref="Drop"/>); <see cref="Positions"/> are original position ids of the current rows.
/// </summary>
public sealed class LayerPlan : IDisposable
{
    /// <summary>Rows that stay in the sequence from this layer on (dead work removed), or null when none leave.</summary>
    public required RowSelection? Drop { get; init; }

    /// <summary>Rows whose attention runs: its queries and its keys/values (the method prunes both together).</summary>
    public required RowSelection Attention { get; init; }

    public required RowSelection Mlp { get; init; }

    /// <summary>Original positions of the sequence's rows at this layer.</summary>
    public required int[] Positions { get; init; }

    /// <summary>RoPE tables [n_att, d_h] for the attention rows' original positions (shared between equal row sets).</summary>
    public required Tensor Cos { get; init; }

    public required Tensor Sin { get; init; }

    public void Dispose()
    {
        Drop?.Dispose();
        Attention.Dispose();
        Mlp.Dispose();
    }
}
