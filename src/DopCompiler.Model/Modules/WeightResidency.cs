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
/// <para>
/// Matrices whose parts are already stored in the compute dtype (a bf16 checkpoint under bf16 compute, an fp32 one under
/// fp32) are fused only up to <see cref="FuseLimitBytes"/>: above it a fused copy buys nothing (one product per part on
/// the mapping is as fast at real widths) and cost the TinyLLaVA-1.1B shape 48 s of open time and 1 GiB under bf16.
/// </para>
/// <para>
/// The default budget, 256 MiB, comes from the goal peak RSS ≤ checkpoint + 2 GB: the mapped checkpoint counts once, the
/// process itself (runtime, libtorch, activations, allocator slack) takes ~1.3–1.5 GB at the 1.1B shape, which leaves
/// ~0.5 GB for the budget and a conversion chunk. 1 GiB missed the goal by 0.6 GB in fp32 (docs/benchmarks.md,
/// "Real-size checkpoints"); fp32 prefill time barely depends on it (a streamed product converts 64 MiB chunks, a few
/// percent of a 600-token product).
/// </para>
/// </remarks>
public sealed class WeightResidency
{
    /// <summary>Default budget of resident converted/fused matrices: 256 MiB, so that checkpoint + budget + chunk + process stays within checkpoint + 2 GB.</summary>
    public const long DefaultBudgetBytes = 256L << 20;

    /// <summary>Default conversion chunk: 64 MiB of compute-dtype rows (a few thousand rows of a 4096-wide matrix, still a large matrix product).</summary>
    public const long DefaultChunkBytes = 64L << 20;

    /// <summary>Default size above which parts already in the compute dtype are used as mapped rather than fused into a copy: 4 MiB.</summary>
    public const long DefaultFuseLimitBytes = 4L << 20;

    /// <summary>Environment variable that overrides <see cref="DefaultBudgetBytes"/> (MiB), e.g. for a machine with memory to spare.</summary>
    public const string BudgetVariable = "DOP_RESIDENT_WEIGHTS_MB";

    public WeightResidency(ComputePrecision precision, long budgetBytes = DefaultBudgetBytes, long chunkBytes = DefaultChunkBytes, long fuseLimitBytes = DefaultFuseLimitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(fuseLimitBytes);
        Precision = precision;
        BudgetBytes = budgetBytes;
        ChunkBytes = chunkBytes;
        FuseLimitBytes = fuseLimitBytes;
    }

    public ComputePrecision Precision { get; }

    public ScalarType ComputeType => Precision == ComputePrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    public long BudgetBytes { get; }

    public long ChunkBytes { get; }

    /// <summary>The largest fused copy made of parts that already have the compute dtype (larger ones are used part by part as mapped).</summary>
    public long FuseLimitBytes { get; }

    /// <summary>Bytes of converted or fused matrices made resident so far (mapped storage used as is is not counted).</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>Matrices left in the mapping (converted per product or multiplied part by part).</summary>
    public int StreamedMatrices { get; private set; }

    /// <summary>The budget from <see cref="BudgetVariable"/> when set to a non-negative number of MiB, else the default.</summary>
    public static long BudgetFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable(BudgetVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb)
            ? mb << 20
            : DefaultBudgetBytes;

    /// <summary>Counts a matrix left in the mapping without asking the budget (its parts already have the compute dtype).</summary>
    public void KeepMapped() => StreamedMatrices++;

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
