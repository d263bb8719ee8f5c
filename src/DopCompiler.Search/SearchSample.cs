using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Search;

/// <summary>
/// One validation sample prepared for the search: its decoder input, layout, the positions whose distributions are
/// compared, the original model's log-probabilities there, and the original hidden states at every layer boundary
/// (what prefix reuse restarts from).
/// </summary>
public sealed class SearchSample : IDisposable
{
    public required int Index { get; init; }

    /// <summary>[T, d] decoder input (prompt, image features, teacher-forced answer tokens).</summary>
    public required Tensor Embeddings { get; init; }

    public required TokenGroupLayout Layout { get; init; }

    /// <summary>Positions whose next-token distributions are compared (last prompt position, then teacher-forced ones).</summary>
    public required int[] OutputPositions { get; init; }

    /// <summary>fp64 log-probabilities [k, V] of the original model at <see cref="OutputPositions"/>.</summary>
    public required Tensor ReferenceLogProbs { get; init; }

    /// <summary>Hidden state before layer l (index l = 0..L), original model; index L is after the last layer.</summary>
    public required Tensor[] Boundaries { get; init; }

    public required PromptSegments Segments { get; init; }

    /// <summary>The vision tower's [CLS] attention over the image tokens: the ranking an image-token-count split keeps the top of.</summary>
    public required float[] ClsAttention { get; init; }

    /// <summary>Where a tiled (anyres) image's tokens lie, for the <c>spread</c> order; null for one tile.</summary>
    public ImageTokenGrid? ImageGrid { get; init; }

    public void Dispose()
    {
        Embeddings.Dispose();
        ReferenceLogProbs.Dispose();
        foreach (var b in Boundaries)
        {
            b.Dispose();
        }
    }
}
