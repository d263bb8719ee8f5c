using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Runtime;

/// <summary>
/// The row selections and RoPE tables of one prompt layout, built the first time a generated class runs that layout
/// and replayed afterwards: one slot per (layer, step), so a cached run does array reads and no set arithmetic.
/// </summary>
internal sealed class DopLayoutProgram : IDisposable
{
    private readonly DropStep?[] _drops;
    private readonly AttentionStep?[] _attention;
    private readonly ModuleStep?[] _mlp;
    private readonly Dictionary<string, (Tensor Cos, Tensor Sin)> _tables = new(StringComparer.Ordinal);

    private readonly Device _device;

    public DopLayoutProgram(int variant, int[] groupOfPosition, bool[] alwaysKept, int layers, Device device)
    {
        _device = device;
        Variant = variant;
        GroupOfPosition = groupOfPosition;
        AlwaysKept = alwaysKept;
        InitialPositions = Enumerable.Range(0, groupOfPosition.Length).ToArray();
        _drops = new DropStep?[layers];
        _attention = new AttentionStep?[layers];
        _mlp = new ModuleStep?[layers];
    }

    /// <summary>The variant of the generated class whose steps this program replays (0 for a class of one budget).</summary>
    public int Variant { get; }

    /// <summary>The layout's identity: the group of every original position (sizes alone for contiguous groups, but a [CLS]-ranked split moves tokens between groups).</summary>
    public int[] GroupOfPosition { get; }

    public bool[] AlwaysKept { get; }

    public int[] InitialPositions { get; }

    public DropStep Drop(int layer, uint groups, int[] positions)
    {
        var step = _drops[layer];
        if (step is null)
        {
            var kept = Enumerable.Range(0, positions.Length).Where(r => !InMask(groups, positions[r])).ToArray();
            step = new DropStep(groups, new RowSelection(kept, positions.Length, _device), kept.Select(r => positions[r]).ToArray());
            _drops[layer] = step;
        }

        return Checked(step, step.Groups, step.Selection, layer, groups, positions, "Drop");
    }

    public AttentionStep Attention(int layer, uint groups, int[] positions, RotaryEmbedding rotary)
    {
        var step = _attention[layer];
        if (step is null)
        {
            var rows = KeptRows(groups, positions);
            var attentionPositions = rows.Select(r => (long)positions[r]).ToArray();
            var key = string.Join(",", attentionPositions);
            if (!_tables.TryGetValue(key, out var table))
            {
                using var ids = tensor(attentionPositions, device: rotary.Device);
                var (cos, sin) = rotary.Tables(ids);
                table = (cos.DetachFromDisposeScope(), sin.DetachFromDisposeScope());
                _tables[key] = table;
            }

            step = new AttentionStep(groups, new RowSelection(rows, positions.Length, _device), table.Cos, table.Sin);
            _attention[layer] = step;
        }

        return Checked(step, step.Groups, step.Selection, layer, groups, positions, "Attention");
    }

    public ModuleStep Mlp(int layer, uint groups, int[] positions)
    {
        var step = _mlp[layer];
        if (step is null)
        {
            step = new ModuleStep(groups, new RowSelection(KeptRows(groups, positions), positions.Length, _device));
            _mlp[layer] = step;
        }

        return Checked(step, step.Groups, step.Selection, layer, groups, positions, "Mlp");
    }

    public void Dispose()
    {
        foreach (var step in _drops)
        {
            step?.Selection.Dispose();
        }

        foreach (var step in _attention)
        {
            step?.Selection.Dispose();
        }

        foreach (var step in _mlp)
        {
            step?.Selection.Dispose();
        }

        foreach (var (cos, sin) in _tables.Values)
        {
            cos.Dispose();
            sin.Dispose();
        }
    }

    private bool InMask(uint groups, int position) => !AlwaysKept[position] && (groups & (1u << GroupOfPosition[position])) != 0;

    /// <summary>Rows whose group is in <paramref name="groups"/>, plus the always-kept rows (the last prompt position runs every module).</summary>
    private int[] KeptRows(uint groups, int[] positions) =>
        Enumerable.Range(0, positions.Length)
            .Where(r => AlwaysKept[positions[r]] || (groups & (1u << GroupOfPosition[positions[r]])) != 0)
            .ToArray();

    private static T Checked<T>(T step, uint stepGroups, RowSelection selection, int layer, uint groups, int[] positions, string what)
    {
        // A generated class calls the same steps in the same order on every run; anything else is a caller bug.
        if (stepGroups != groups || selection.Total != positions.Length)
        {
            throw new InvalidOperationException(
                $"{what}({layer}) was called with groups 0x{groups:x} over {positions.Length} rows; this layout's program recorded 0x{stepGroups:x} over {selection.Total}");
        }

        return step;
    }

    internal sealed record DropStep(uint Groups, RowSelection Selection, int[] Alive);

    internal sealed record AttentionStep(uint Groups, RowSelection Selection, Tensor Cos, Tensor Sin);

    internal sealed record ModuleStep(uint Groups, RowSelection Selection);
}
