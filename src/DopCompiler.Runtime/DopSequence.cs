using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Runtime;

/// <summary>
/// The prompt's hidden state as a generated class's unrolled layers drive it: the current rows, their original
/// positions and groups. Each call names a layer and a constant group mask (bit <c>i</c> = group <c>i</c> of
/// <see cref="DopModelShape.Groups"/>); the rows it selects are built once per prompt layout and replayed from then on.
/// The arithmetic is <see cref="DecoderBlocks"/>, the same calls in the same order as the policy interpreter makes.
/// </summary>
public sealed class DopSequence : IDisposable
{
    private readonly LlavaModel _model;
    private readonly DopLayoutProgram _program;
    private readonly LayerKvCache[]? _cache;
    private readonly ExecutedFlops? _flops;
    private Tensor _hidden; // [rows, d], owned here, outside any dispose scope
    private int[] _positions;

    internal DopSequence(LlavaModel model, DopLayoutProgram program, Tensor embeddings, LayerKvCache[]? cache, ExecutedFlops? flops = null)
    {
        _model = model;
        _program = program;
        _cache = cache;
        _flops = flops;
        _hidden = embeddings.clone().DetachFromDisposeScope();
        _positions = program.InitialPositions;
    }

    /// <summary>Rows currently in the sequence.</summary>
    public int RowCount => _positions.Length;

    /// <summary>Original position ids of the current rows (sorted; positions are never renumbered).</summary>
    public IReadOnlyList<int> Positions => _positions;

    /// <summary>The hidden state [rows, d] (owned by the sequence: do not dispose).</summary>
    public Tensor Hidden => _hidden;

    /// <summary>Removes the rows of <paramref name="groups"/> for good (dead work: nothing reads them after this layer); the last prompt position stays.</summary>
    public void Drop(int layer, uint groups)
    {
        var step = _program.Drop(layer, groups, _positions);
        if (!step.Selection.IsAll)
        {
            using var scope = NewDisposeScope();
            var kept = step.Selection.Gather(_hidden).contiguous().DetachFromDisposeScope();
            _hidden.Dispose();
            _hidden = kept;
        }

        _positions = step.Alive;
    }

    /// <summary>
    /// Layer <paramref name="layer"/>'s attention over the rows of <paramref name="groups"/> (their queries and their
    /// keys/values) plus the last prompt position; other rows pass through unchanged and cannot be read here.
    /// </summary>
    public void Attention(int layer, uint groups)
    {
        var step = _program.Attention(layer, groups, _positions, _model.Rotary);
        using var scope = NewDisposeScope();
        var x = step.Selection.Gather(_hidden); // [n_att, d]
        var update = DecoderBlocks.Attention(x, _model.Layers[layer], _model.Config.Text, step.Cos, step.Sin, _flops, out var keys, out var values);
        step.Selection.AddInto(_hidden, update);
        _cache?[layer].Append(keys, values);
    }

    /// <summary>Layer <paramref name="layer"/>'s MLP over the rows of <paramref name="groups"/> plus the last prompt position.</summary>
    public void Mlp(int layer, uint groups)
    {
        var step = _program.Mlp(layer, groups, _positions);
        using var scope = NewDisposeScope();
        var x = step.Selection.Gather(_hidden); // [n_mlp, d]
        step.Selection.AddInto(_hidden, DecoderBlocks.Mlp(x, _model.Layers[layer], _model.Config.Text, _flops));
    }

    /// <summary>Logits [V] (fp32) at the last prompt position, which is always the last row.</summary>
    public Tensor LastLogits()
    {
        using var scope = NewDisposeScope();
        var last = _hidden.narrow(0, _hidden.shape[0] - 1, 1); // [1, d]
        return _model.Logits(last).squeeze(0).MoveToOuterDisposeScope();
    }

    public void Dispose() => _hidden.Dispose();
}
