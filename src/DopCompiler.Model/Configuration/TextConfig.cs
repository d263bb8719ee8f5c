namespace DopCompiler.Model.Configuration;

/// <summary>
/// The decoder's shape (Hugging Face <c>text_config</c>, or the whole config of a plain <c>llama</c>/<c>qwen2</c> model).
/// LLaMA and Qwen2 decoders differ only in Qwen2's q/k/v biases (<see cref="QkvBias"/>).
/// </summary>
public sealed record TextConfig
{
    /// <summary><c>llama</c>, <c>qwen2</c> or <c>mistral</c> (LLaMA's arithmetic with a sliding attention window).</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>q_proj, k_proj and v_proj carry a bias (Qwen2; o_proj and the MLP never do).</summary>
    public bool QkvBias { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public required double RmsNormEps { get; init; }

    public required double RopeTheta { get; init; }

    public required bool TieWordEmbeddings { get; init; }

    /// <summary>
    /// Mistral's <c>sliding_window</c>: each position attends to the last this-many positions, itself included. Null when
    /// every position attends to the whole sequence. Sequences longer than it are refused (DOP008), not windowed.
    /// </summary>
    public int? SlidingWindow { get; init; }

    public int QueryWidth => NumHeads * HeadDim;

    public int KeyValueWidth => NumKeyValueHeads * HeadDim;
}
