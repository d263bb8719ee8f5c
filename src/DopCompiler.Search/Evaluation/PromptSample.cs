using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Spec;
using static TorchSharp.torch;
using DopCompiler.Inputs.Images;

namespace DopCompiler.Search.Evaluation;

/// <summary>One image + prompt turned into decoder input and a layout for a set of groups (eval, logits, benchmarks).</summary>
public sealed class PromptSample : IDisposable
{
    private PromptSample(Tensor embeddings, PromptSegments segments, TokenGroupLayout layout, int[] promptIds)
    {
        Embeddings = embeddings;
        Segments = segments;
        Layout = layout;
        PromptIds = promptIds;
    }

    public Tensor Embeddings { get; }

    public PromptSegments Segments { get; }

    public TokenGroupLayout Layout { get; }

    public int[] PromptIds { get; }

    public int LastPosition => Segments.Length - 1;

    public static PromptSample Create(LlavaModel model, ModelTokenizer tokenizer, ImagePreprocessor? preprocessor, IReadOnlyList<GroupDefinition> groups,
        string? imagePath, string prompt) =>
        Create(model, preprocessor, groups, imagePath, tokenizer.EncodePrompt(prompt));

    public static PromptSample Create(LlavaModel model, ImagePreprocessor? preprocessor, IReadOnlyList<GroupDefinition> groups, string? imagePath, int[] ids)
    {
        using var scope = NewDisposeScope();
        Tensor? features = null;
        var cls = Array.Empty<float>();
        if (imagePath is not null && preprocessor is not null)
        {
            if (preprocessor.IsAnyres != model.Config.IsAnyres)
            {
                throw new Model.DopException(Model.DiagnosticCodes.ModelConfig, model.Config.IsAnyres
                    ? $"config.json is model_type {model.Config.ModelType} (anyres tiles) but preprocessor_config.json has no image_grid_pinpoints (not a LlavaNextImageProcessor)"
                    : $"preprocessor_config.json tiles images (image_grid_pinpoints) but config.json is model_type {model.Config.ModelType}, which reads one tile",
                    Path.Combine(model.Folder, "preprocessor_config.json"));
            }

            if (model.Config.ImageGridPinpoints is { } pinpoints && !pinpoints.SequenceEqual(preprocessor.GridPinpoints!))
            {
                // The processor tiles with its own list, the model places tiles by config.json's (as transformers does):
                // two lists could agree on a tile count and still disagree on the grid's shape.
                throw new Model.DopException(Model.DiagnosticCodes.ModelConfig,
                    "preprocessor_config.json's image_grid_pinpoints differ from config.json's: the tiles would be placed on another grid than they were cut from",
                    Path.Combine(model.Folder, "preprocessor_config.json"));
            }

            var image = preprocessor.Preprocess(imagePath);
            var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
            var (f, c) = model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
            features = f;
            cls = c.ToHostFloats();
        }

        var embeddings = model.EmbedPrompt(ids, features, out var segments);
        var layout = SampleLayoutBuilder.Build(groups, segments, cls, alwaysKeptTail: 1);
        return new PromptSample(embeddings.DetachFromDisposeScope(), segments, layout, ids);
    }

    /// <summary>The plan of a depth policy for this sample, reading the last position's logits.</summary>
    public ExecutionPlan Plan(LlavaModel model, DepthPolicy policy) =>
        ExecutionPlan.Build(policy.ToMask(Layout.Groups.Select(g => g.Name).ToArray(), model.Config.Text.NumLayers), Layout, [LastPosition], model.Rotary);

    public void Dispose() => Embeddings.Dispose();
}
