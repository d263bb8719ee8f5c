namespace DopCompiler.Model.Configuration;

/// <summary>The LLaMA decoder's shape (Hugging Face <c>text_config</c>, or the whole config of a plain <c>llama</c> model).</summary>
public sealed record TextConfig
{
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

    public int QueryWidth => NumHeads * HeadDim;

    public int KeyValueWidth => NumKeyValueHeads * HeadDim;
}
