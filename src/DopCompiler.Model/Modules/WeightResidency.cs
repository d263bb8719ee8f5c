using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// The memory policy of one loaded model's weight matrices: the compute dtype, how many bytes of converted or fused
/// matrices may stay resident beside the memory-mapped checkpoint, and the chunk size for the rest.
/// </summary>
/// <remarks>
/// Why a budget: converting a whole bf16 checkpoint to fp32 on load held 2× (fp32) of it in anonymous memory on top of
/// the mapped file (10 GB RSS for a 2.8 GB TinyLLaVA checkpoint; a 7B one could not load in 24 GB). Matrices are made
/// resident in load order while they fit <see cref="BudgetBytes"/>; the others stay in the mapping in their stored dtype
/// and are converted <see cref="ChunkBytes"/> at a time just before their product and freed right after it. A small
/// model fits entirely and computes exactly as before (fused, converted once).
/// </remarks>
public sealed class WeightResidency
{
    /// <summary>Default budget of resident converted/fused matrices: 1 GiB, so that checkpoint + budget + chunk + runtime stays within checkpoint + 2 GB.</summary>
    public const long DefaultBudgetBytes = 1L << 30;

    /// <summary>Default conversion chunk: 64 MiB of compute-dtype rows (a few thousand rows of a 4096-wide matrix, still a large matrix product).</summary>
    public const long DefaultChunkBytes = 64L << 20;

    /// <summary>Environment variable that overrides <see cref="DefaultBudgetBytes"/> (MiB), e.g. for a machine with memory to spare.</summary>
    public const string BudgetVariable = "DOP_RESIDENT_WEIGHTS_MB";

    public WeightResidency(ComputePrecision precision, long budgetBytes = DefaultBudgetBytes, long chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        Precision = precision;
        BudgetBytes = budgetBytes;
        ChunkBytes = chunkBytes;
    }

    public ComputePrecision Precision { get; }

    public ScalarType ComputeType => Precision == ComputePrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    public long BudgetBytes { get; }

    public long ChunkBytes { get; }

    /// <summary>Bytes of converted or fused matrices made resident so far (mapped storage used as is is not counted).</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>Matrices left in the mapping (converted per product or multiplied part by part).</summary>
    public int StreamedMatrices { get; private set; }

    /// <summary>The budget from <see cref="BudgetVariable"/> when set to a non-negative number of MiB, else the default.</summary>
    public static long BudgetFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable(BudgetVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb)
            ? mb << 20
            : DefaultBudgetBytes;

    /// <summary>Reserves <paramref name="bytes"/> of the budget; false (nothing reserved) when they do not fit.</summary>
    public bool TryReserve(long bytes)
    {
        if (ResidentBytes + bytes > BudgetBytes)
        {
            StreamedMatrices++;
            return false;
        }

        ResidentBytes += bytes;
        return true;
    }
}
