using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tensors;

/// <summary>
/// Tensor arithmetic that keeps its <see cref="Scalar"/> operands alive until the native call returns.
/// (<c>a - b</c> of two tensors needs no helper: TorchSharp's <c>sub(Tensor)</c> passes no Scalar.)
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107 turns <c>a + b</c> into <c>add(b, alpha: 1)</c> and <c>1.7 * y</c> into <c>mul(1.7)</c> with a
/// temporary <see cref="Scalar"/> that DisposeScopes do not track; only its native handle is passed on, so in Release
/// builds the GC may finalize the Scalar (freeing the handle) while libtorch still reads it. Measured here: `dop eval`
/// over the sample model failed after 50–120 prompts with "Unknown scalar type" / "toFloat: Expected false to be true"
/// at random points. Every helper below owns its Scalar in a <c>using</c>, which keeps it reachable past the call.
/// </remarks>
public static class ScalarSafe
{
    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add(b, one);
    }

    /// <summary>a += b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add_(b, one);
    }

    /// <summary>a + s.</summary>
    public static Tensor PlusScalar(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        using var one = 1.ToScalar();
        return a.add(scalar, one);
    }

    /// <summary>a · s.</summary>
    public static Tensor Times(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a[index] += source along <paramref name="dim"/>, in place.</summary>
    public static Tensor IndexPlusInPlace(this Tensor a, long dim, Tensor index, Tensor source)
    {
        using var one = 1.ToScalar();
        return a.index_add_(dim, index, source, one);
    }
}
