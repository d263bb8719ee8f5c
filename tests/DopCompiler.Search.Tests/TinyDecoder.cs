using DopCompiler.Model.Configuration;

namespace DopCompiler.Search.Tests;

/// <summary>The small decoder and split groups the solver tests price policies on (no weights: only the shape matters).</summary>
internal static class TinyDecoder
{
    /// <summary>4 layers, hidden 64, 4 heads of 16 (2 key/value), MLP 176.</summary>
    public static TextConfig Config { get; } = new()
    {
        HiddenSize = 64, IntermediateSize = 176, NumLayers = 4, NumHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
        VocabSize = 100, RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = false,
    };

    /// <summary>system (prunable), the image split 25/75 into key and rest, text (not prunable).</summary>
    public static GroupDefinition[] SplitGroups { get; } =
    [
        new("system", "system", true),
        new("image_key", "image_key", true, 0.25),
        new("image_rest", "image_rest", true, 0.75),
        new("text", "text", false),
    ];
}
