using static TorchSharp.torch;

namespace DopCompiler.Model.Pruning;

/// <summary>KL(P_original ‖ P_pruned) over the vocabulary (§4 of the method), accumulated in fp64.</summary>
public static class Divergence
{
    /// <summary>Log-probabilities [k, V] in fp64 from logits [k, V]: computed once per sample for the original model.</summary>
    public static Tensor LogProbabilities(Tensor logits) => logits.to_type(ScalarType.Float64).log_softmax(-1);

    /// <summary>Mean over the k positions of KL(original ‖ pruned); both arguments are fp64 log-probabilities [k, V].</summary>
    public static double MeanKl(Tensor originalLogProbs, Tensor prunedLogProbs)
    {
        using var scope = NewDisposeScope();
        var p = originalLogProbs.exp();
        var perPosition = (p * (originalLogProbs - prunedLogProbs)).sum(-1); // [k]
        return perPosition.mean().item<double>();
    }
}
