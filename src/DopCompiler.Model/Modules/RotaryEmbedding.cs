using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>LLaMA's rotary position embedding (Hugging Face's rotate-half layout) at arbitrary original positions.</summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _inverseFrequency; // [d_h / 2]

    public RotaryEmbedding(int headDim, double theta, Device? device = null)
    {
        HeadDim = headDim;
        Device = device ?? CPU;
        // Computed in fp64 then rounded, so cos/sin match a reference implementation's fp32 values closely.
        using var steps = arange(0, headDim, 2, ScalarType.Float64);
        using var exponents = steps.Times(1.0 / headDim);
        using var logs = exponents.Times(Math.Log(theta));
        using var powers = logs.exp(); // θ^e, in fp64
        using var inverse = powers.reciprocal();
        _inverseFrequency = inverse.to(ScalarType.Float32, Device);
    }

    public int HeadDim { get; }

    /// <summary>The device its tables are made on (the model's).</summary>
    public Device Device { get; }

    /// <summary>cos and sin tables, each [n, d_h], on <see cref="Device"/>, for the given original position ids (int64 [n], any device).</summary>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.to(ScalarType.Float32, Device).unsqueeze(1) * _inverseFrequency.unsqueeze(0); // [n, d_h/2]
        var emb = cat([freqs, freqs], 1); // [n, d_h]
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Rotates x [heads, n, d_h] by the tables of its n positions.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        using var cosPart = x * cos;
        using var sinPart = rotated * sin;
        return cosPart.Plus(sinPart);
    }

    public void Dispose() => _inverseFrequency.Dispose();
}
