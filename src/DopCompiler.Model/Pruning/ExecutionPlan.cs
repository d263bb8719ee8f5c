using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Model.Pruning;

/// <summary>
/// An operation mask resolved against one sample's layout: per layer, which rows leave the sequence and which rows
/// run attention and MLP, with their RoPE tables. Built once per (policy, layout); the forward then has no
/// per-token loop and no policy lookup.
/// </summary>
public sealed class ExecutionPlan : IDisposable
{
    private readonly List<Tensor> _tables;

    private ExecutionPlan(LayerPlan[] layers, RowSelection output, int[] finalPositions, List<Tensor> tables, OperationMask mask, TokenGroupLayout layout)
    {
        Layers = layers;
        Output = output;
        FinalPositions = finalPositions;
        _tables = tables;
        Mask = mask;
        Layout = layout;
    }

    public IReadOnlyList<LayerPlan> Layers { get; }

    /// <summary>Rows of the final sequence whose logits are asked for.</summary>
    public RowSelection Output { get; }

    /// <summary>Original positions of the rows alive after the last layer (what a KV cache continues from).</summary>
    public int[] FinalPositions { get; }

    public OperationMask Mask { get; }

    public TokenGroupLayout Layout { get; }

    /// <summary>
    /// Resolves <paramref name="mask"/> for <paramref name="layout"/>; <paramref name="outputPositions"/> must be
    /// positions the layout always keeps (their logits are read after the last layer).
    /// </summary>
    public static ExecutionPlan Build(OperationMask mask, TokenGroupLayout layout, IReadOnlyList<int> outputPositions, RotaryEmbedding rotary)
    {
        if (!layout.HasGroups(mask.Groups))
        {
            throw new DopException(DiagnosticCodes.PolicyMismatch,
                $"the policy's groups ({string.Join(", ", mask.Groups)}) differ from the layout's ({string.Join(", ", layout.Groups.Select(g => g.Name))})");
        }

        var groupOf = layout.GroupOfPosition();

        var alwaysKept = layout.AlwaysKeptMask();

        var deadFrom = Enumerable.Range(0, layout.Groups.Count).Select(mask.DeadFrom).ToArray();
        var tables = new List<Tensor>();
        var tableCache = new Dictionary<string, (Tensor, Tensor)>();
        var layers = new LayerPlan[mask.Layers];
        var alive = Enumerable.Range(0, layout.Length).ToArray();
        for (var l = 0; l < mask.Layers; l++)
        {
            var layer = l;
            var stillAlive = alive.Where(p => alwaysKept[p] || deadFrom[groupOf[p]] > layer).ToArray();
            RowSelection? drop = null;
            if (stillAlive.Length != alive.Length)
            {
                drop = new RowSelection(RowsOf(alive, stillAlive), alive.Length, rotary.Device);
                alive = stillAlive;
            }

            var attentionRows = Enumerable.Range(0, alive.Length).Where(r => alwaysKept[alive[r]] || mask.AttentionKept(layer, groupOf[alive[r]])).ToArray();
            var mlpRows = Enumerable.Range(0, alive.Length).Where(r => alwaysKept[alive[r]] || mask.MlpKept(layer, groupOf[alive[r]])).ToArray();
            var attentionPositions = attentionRows.Select(r => (long)alive[r]).ToArray();
            var key = string.Join(",", attentionPositions);
            if (!tableCache.TryGetValue(key, out var table))
            {
                using var positions = tensor(attentionPositions, device: rotary.Device);
                var (cos, sin) = rotary.Tables(positions);
                cos = cos.DetachFromDisposeScope();
                sin = sin.DetachFromDisposeScope();
                table = (cos, sin);
                tableCache[key] = table;
                tables.Add(cos);
                tables.Add(sin);
            }

            layers[l] = new LayerPlan
            {
                Drop = drop,
                Attention = new RowSelection(attentionRows, alive.Length, rotary.Device),
                Mlp = new RowSelection(mlpRows, alive.Length, rotary.Device),
                Positions = alive,
                Cos = table.Item1,
                Sin = table.Item2,
            };
        }

        var outputRows = outputPositions.Select(p =>
        {
            var row = Array.BinarySearch(alive, p);
            return row >= 0 ? row : throw new DopException(DiagnosticCodes.PolicyMismatch, $"position {p} is pruned away before the output; only always-kept positions can be read");
        }).ToArray();
        return new ExecutionPlan(layers, new RowSelection(outputRows, alive.Length, rotary.Device), alive, tables, mask, layout);
    }

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        Output.Dispose();
        _tables.ForEach(t => t.Dispose());
    }

    private static int[] RowsOf(int[] alive, int[] subset)
    {
        var rows = new int[subset.Length];
        var j = 0;
        for (var i = 0; i < subset.Length; i++)
        {
            while (alive[j] != subset[i])
            {
                j++;
            }

            rows[i] = j;
        }

        return rows;
    }
}
