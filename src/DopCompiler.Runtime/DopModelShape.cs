using DopCompiler.Model;
using DopCompiler.Model.Configuration;

namespace DopCompiler.Runtime;

/// <summary>
/// What a generated class was compiled for: the decoder's shape and the token groups in prompt order. Checked against
/// the checkpoint's config on load, so a class never runs against a model its policy was not made for.
/// </summary>
public sealed record DopModelShape
{
    public required int NumLayers { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKeyValueHeads { get; init; }

    /// <summary>Image tokens per image (0 for a plain decoder, and for an anyres model: <see cref="ImageTokensVary"/>).</summary>
    public required int ImageTokens { get; init; }

    /// <summary>An anyres model (<c>llava_next</c>, <c>llava_onevision</c>): each image has as many tokens as its size gives.</summary>
    public bool ImageTokensVary { get; init; }

    /// <summary>Token group names in prompt order; bit <c>i</c> of a group mask is group <c>i</c>.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>
    /// The content hash of the model the policy was made from (<c>model.hash</c>; <see cref="DopCompiler.Inputs.Hashing.ModelHash"/>).
    /// Null or empty: not checked on load.
    /// </summary>
    public string? ModelHash { get; init; }

    /// <summary>Share of image tokens in <c>image_key</c> for a [CLS]-ranked split; null when the image is one group.</summary>
    public double? ImageKeyFraction { get; init; }

    /// <summary>
    /// The order the split takes image tokens in (<see cref="DopCompiler.Model.Pruning.ImageTokenOrder"/>): <c>cls</c>
    /// (the vision encoder's [CLS] attention, the default) or <c>spread</c> (coarse to fine over the patch grid).
    /// </summary>
    public string ImageRanking { get; init; } = DopCompiler.Model.Pruning.ImageTokenOrder.ClsWord;

    /// <summary>
    /// The spec's forced precision, <c>fp32</c> or <c>bf16</c> (the policy's <c>precision</c>); null for <c>auto</c>, where
    /// the class follows the machine's probe. <c>DOP_PRECISION</c> in the app's process overrides either.
    /// </summary>
    public string? Precision { get; init; }

    /// <summary>Throws <see cref="DopException"/> (DOP006) listing every way <paramref name="config"/> differs from this shape.</summary>
    public void Check(ModelConfig config, string modelDirectory)
    {
        var text = config.Text;
        var problems = new List<string>();
        void Expect(string name, int expected, int actual)
        {
            if (expected != actual)
            {
                problems.Add($"{name} is {actual}, the policy was made for {expected}");
            }
        }

        Expect("num_hidden_layers", NumLayers, text.NumLayers);
        Expect("hidden_size", HiddenSize, text.HiddenSize);
        Expect("intermediate_size", IntermediateSize, text.IntermediateSize);
        Expect("num_attention_heads", NumHeads, text.NumHeads);
        Expect("num_key_value_heads", NumKeyValueHeads, text.NumKeyValueHeads);
        if (ImageTokensVary != config.IsAnyres)
        {
            problems.Add(ImageTokensVary
                ? $"model_type {config.ModelType} reads one tile per image, the policy was made for an anyres model (tiled images)"
                : $"model_type {config.ModelType} tiles images (anyres), the policy was made for {ImageTokens} image tokens per image");
        }
        else if (!ImageTokensVary)
        {
            Expect("image tokens per image", ImageTokens, config.ImageTokensPerImage);
        }

        if (problems.Count > 0)
        {
            throw new DopException(DiagnosticCodes.PolicyMismatch,
                $"the model in '{modelDirectory}' does not fit the generated class: {string.Join("; ", problems)}. Rebuild so the search re-runs for this model.",
                modelDirectory);
        }
    }
}
