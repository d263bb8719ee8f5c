using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// A weight matrix W [rows, columns] applied as y = x·Wᵀ (+ b), whose rows are one or more checkpoint tensors in order
/// (fused q/k/v or gate/up: one product instead of several removes fixed per-call costs at small widths).
/// </summary>
/// <remarks>
/// Three forms, chosen once at load under the model's <see cref="WeightResidency"/>:
/// <list type="bullet">
/// <item><b>resident</b>: one matrix in the compute dtype. Free when a single stored tensor already has that dtype (the
/// mapping itself); otherwise converted/fused once, counted against the budget.</item>
/// <item><b>mapped parts</b>: the parts already have the compute dtype and fusing them would exceed the budget or
/// <see cref="WeightResidency.FuseLimitBytes"/>: one product per part on the mapping, outputs side by side (no copy of
/// the weights; at real widths the extra calls cost nothing measurable).</item>
/// <item><b>streamed</b>: the parts are converted in row chunks of at most <see cref="WeightResidency.ChunkBytes"/> just
/// before their product and freed right after it, so no converted copy of the matrix ever exists whole.</item>
/// </list>
/// Inputs of another dtype (the fp32 residual stream under bf16 compute) are converted for the product and the result
/// converted back, so callers always get their own dtype. On a non-CPU device matrices are always resident (the
/// device's memory, not the mapping, is what holds them).
/// </remarks>
public sealed class WeightMatrix : IDisposable
{
    private readonly Tensor[] _parts;
    private readonly Tensor? _resident;
    private readonly Tensor? _bias;
    private readonly long _chunkBytes;

    private WeightMatrix(IReadOnlyList<string> names, Tensor[] parts, Tensor? resident, Tensor? bias, ScalarType computeType, long chunkBytes)
    {
        SourceNames = names.ToArray();
        _parts = parts;
        _resident = resident;
        _bias = bias;
        _chunkBytes = chunkBytes;
        ComputeType = computeType;
        var first = resident ?? parts[0];
        Columns = first.shape[1];
        Rows = resident is not null ? resident.shape[0] : parts.Sum(p => p.shape[0]);
        Device = first.device;
    }

    /// <summary>The checkpoint tensors whose rows make the matrix, in order (a tied LM head names the embedding table).</summary>
    public IReadOnlyList<string> SourceNames { get; }

    public long Rows { get; }

    public long Columns { get; }

    public long[] Shape => [Rows, Columns];

    public ScalarType ComputeType { get; }

    public Device Device { get; }

    /// <summary>Whether the product uses one matrix in the compute dtype (no conversion while running).</summary>
    public bool IsResident => _resident is not null;

    /// <summary>
    /// The matrix whose rows are the tensors <paramref name="names"/> in order, with an optional bias made of
    /// <paramref name="biasNames"/> (kept converted: biases are small).
    /// </summary>
    public static WeightMatrix Load(CheckpointTensors tensors, IReadOnlyList<string> names, WeightResidency residency, IReadOnlyList<string>? biasNames = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(residency);
        var computeType = residency.ComputeType;
        Tensor? bias = null;
        try
        {
            bias = biasNames is { Count: > 0 } ? tensors.LoadConcatenated(biasNames, computeType) : null;
            if (tensors.Device is not null)
            {
                return new WeightMatrix(names, [], tensors.LoadConcatenated(names, computeType), bias, computeType, residency.ChunkBytes);
            }

            var parts = names.Select(tensors.LoadStored).ToArray();
            if (parts.Length == 1 && parts[0].dtype == computeType)
            {
                return new WeightMatrix(names, parts, parts[0].alias(), bias, computeType, residency.ChunkBytes);
            }

            var rows = parts.Sum(p => p.shape[0]);
            var columns = parts[0].shape[1];
            var fusedBytes = rows * columns * ElementSize(computeType);
            if (fusedBytes > residency.FuseLimitBytes && parts.All(p => p.dtype == computeType))
            {
                // Already the compute dtype and wide: a product per part on the mapping costs nothing a fused copy saves.
                residency.KeepMapped();
                return new WeightMatrix(names, parts, null, bias, computeType, residency.ChunkBytes);
            }

            if (residency.TryReserve(fusedBytes))
            {
                // Converted part by part into one buffer: no second full-size temporary.
                var fused = empty([rows, columns], computeType);
                long row = 0;
                foreach (var part in parts)
                {
                    using var slice = fused.narrow(0, row, part.shape[0]);
                    slice.copy_(part);
                    row += part.shape[0];
                }

                return new WeightMatrix(names, parts, fused, bias, computeType, residency.ChunkBytes);
            }

            return new WeightMatrix(names, parts, null, bias, computeType, residency.ChunkBytes);
        }
        catch
        {
            bias?.Dispose();
            throw;
        }
    }

    /// <summary>x [.., columns] → x·Wᵀ (+ b) [.., rows], in x's dtype.</summary>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (_resident is not null && x.dtype == ComputeType)
        {
            return nn.functional.linear(x, _resident, _bias); // the common fp32 path: nothing else to do
        }

        using var scope = NewDisposeScope();
        var input = x.dtype == ComputeType ? x : x.to_type(ComputeType);
        Tensor y;
        if (_resident is not null)
        {
            y = nn.functional.linear(input, _resident, _bias);
        }
        else if (_parts.All(p => p.dtype == ComputeType))
        {
            y = _parts.Length == 1 ? nn.functional.linear(input, _parts[0]) : cat(_parts.Select(p => nn.functional.linear(input, p)).ToArray(), -1);
            if (_bias is not null)
            {
                y.PlusInPlace(_bias);
            }
        }
        else
        {
            y = Streamed(input);
        }

        if (y.dtype != x.dtype)
        {
            y = y.to_type(x.dtype);
        }

        return y.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _resident?.Dispose();
        _bias?.Dispose();
        foreach (var part in _parts)
        {
            part.Dispose();
        }
    }

    private Tensor Streamed(Tensor input)
    {
        var shape = input.shape.ToArray();
        shape[^1] = Rows;
        var output = empty(shape, ComputeType);
        var chunkRows = Math.Max(1, _chunkBytes / (Columns * ElementSize(ComputeType)));
        long row = 0;
        foreach (var part in _parts)
        {
            var partRows = part.shape[0];
            for (long start = 0; start < partRows; start += chunkRows)
            {
                var count = Math.Min(chunkRows, partRows - start);
                using var stored = part.narrow(0, start, count);
                using var converted = stored.to_type(ComputeType);
                using var product = nn.functional.linear(input, converted);
                using var target = output.narrow(-1, row + start, count);
                target.copy_(product);
            }

            row += partRows;
        }

        if (_bias is not null)
        {
            output.PlusInPlace(_bias);
        }

        return output;
    }

    private static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
