namespace DopCompiler.Model.Modules;

/// <summary>
/// The dtype of the weight-matrix products (every <see cref="WeightMatrix"/>). Norms, attention scores, RoPE and the
/// residual stream stay fp32 either way: bf16 rounding there costs accuracy and saves no time.
/// </summary>
public enum ComputePrecision
{
    /// <summary>fp32 products (the default; fast on every CPU).</summary>
    Fp32,

    /// <summary>bf16 products with fp32 accumulation: several times faster where the CPU has AVX-512-BF16/AMX, ~100× slower where it has not.</summary>
    Bf16,
}
