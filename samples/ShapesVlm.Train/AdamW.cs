using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train;

/// <summary>
/// AdamW with decoupled weight decay, written out so that its state is plain named tensors: a checkpoint is one
/// safetensors file (weights + moments) and a resumed run continues bit for bit.
/// </summary>
/// <remarks>
/// Every <see cref="Scalar"/> is owned in a <c>using</c> (see DopCompiler.Model's <c>ScalarSafe</c>): an implicit one
/// (<c>mul_(0.9)</c>) can be finalized while libtorch still reads it, and this loop makes ~600 of them per step; a
/// 78-minute training run died of that race once (session 4).
/// </remarks>
internal sealed class AdamW : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.95, Epsilon = 1e-8;
    private readonly List<Slot> _slots;
    private readonly double _weightDecay;

    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double weightDecay)
    {
        _weightDecay = weightDecay;
        _slots = parameters.Select(p => new Slot(p.Name, p.Param, zeros_like(p.Param), zeros_like(p.Param), Decays(p.Name))).ToList();
    }

    public long StepCount { get; set; }

    /// <summary>The moments, named for the checkpoint.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> State() =>
        _slots.SelectMany(s => new[] { KeyValuePair.Create("adam.m." + s.Name, s.M), KeyValuePair.Create("adam.v." + s.Name, s.V) });

    /// <summary>Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public double ClipGradients(double maxNorm)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var grads = _slots.Select(s => s.Param.grad).Where(g => g is not null).Select(g => g!).ToList();
        var norm = stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>();
        if (norm > maxNorm)
        {
            using var scale = (maxNorm / (norm + 1e-6)).ToScalar();
            foreach (var g in grads)
            {
                g.mul_(scale);
            }
        }

        return norm;
    }

    public void Step(double learningRate)
    {
        StepCount++;
        var bc1 = 1 - Math.Pow(Beta1, StepCount);
        var bc2 = 1 - Math.Pow(Beta2, StepCount);
        using var noGrad = no_grad();
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var decay = (1 - (learningRate * _weightDecay)).ToScalar();
        using var rootBc2 = Math.Sqrt(bc2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var one = 1.ToScalar();
        using var step = (-learningRate / bc1).ToScalar();
        foreach (var s in _slots)
        {
            using var scope = NewDisposeScope();
            var g = s.Param.grad;
            if (g is null)
            {
                continue;
            }

            s.M.mul_(beta1).add_(g, alpha: oneMinusBeta1);
            s.V.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            if (s.Decay)
            {
                s.Param.mul_(decay);
            }

            var denominator = s.V.sqrt().div_(rootBc2).add_(epsilon, one);
            s.Param.addcdiv_(s.M, denominator, value: step);
        }
    }

    public void ZeroGrad()
    {
        foreach (var s in _slots)
        {
            using var g = s.Param.grad;
            g?.zero_();
        }
    }

    public void Dispose()
    {
        foreach (var s in _slots)
        {
            s.M.Dispose();
            s.V.Dispose();
        }
    }

    // Matrices decay; norms, biases and embeddings do not.
    private static bool Decays(string name) =>
        name.EndsWith("proj.weight", StringComparison.Ordinal) || name.EndsWith("fc1.weight", StringComparison.Ordinal)
        || name.EndsWith("fc2.weight", StringComparison.Ordinal) || name.Contains("linear_", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)
        || name.EndsWith("lm_head.weight", StringComparison.Ordinal) || name.EndsWith("patch_embedding.weight", StringComparison.Ordinal);

    private sealed record Slot(string Name, Parameter Param, Tensor M, Tensor V, bool Decay);
}
