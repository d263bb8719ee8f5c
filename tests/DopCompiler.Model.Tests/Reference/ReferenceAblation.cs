namespace DopCompiler.Model.Tests.Reference;

/// <summary>
/// A deliberate defect for <see cref="Float64Llava"/>: the parity tests show each one moves the output far beyond the
/// parity tolerance, so losing the corresponding piece in the main forward path would fail them.
/// </summary>
public sealed record ReferenceAblation
{
    public static ReferenceAblation None { get; } = new();

    /// <summary>Tensors whose name matches this regular expression are read as zeros (a lost bias); null: none.</summary>
    public string? Zeroed { get; init; }

    /// <summary>The vision MLP uses erf GELU where the config says <c>gelu_pytorch_tanh</c>.</summary>
    public bool ErfInsteadOfTanhGelu { get; init; }

    /// <summary>The vision tower adds no position embeddings.</summary>
    public bool NoPositionEmbeddings { get; init; }

    /// <summary>Added to the resolved feature layer index (e.g. -1: one hidden state earlier).</summary>
    public int FeatureLayerShift { get; init; }

    /// <summary>Applies the tower's post_layernorm to the selected hidden state (what LLaVA does not do).</summary>
    public bool PostLayerNorm { get; init; }
}
