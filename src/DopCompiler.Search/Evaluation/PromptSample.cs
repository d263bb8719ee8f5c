using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Tensors;
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
        ImageTokenGrid? grid = null;
        if (imagePath is not null && preprocessor is not null)
        {
            var (f, c, g) = ImageInput.Encode(model, preprocessor, imagePath);
            (features, cls, grid) = (f, c.ToHostFloats(), g);
        }

        var embeddings = model.EmbedPrompt(ids, features, out var segments);
        var layout = SampleLayoutBuilder.Build(groups, segments, cls, alwaysKeptTail: 1, grid);
        return new PromptSample(embeddings.DetachFromDisposeScope(), segments, layout, ids);
    }

    /// <summary>The plan of a depth policy for this sample, reading the last position's logits.</summary>
    public ExecutionPlan Plan(LlavaModel model, DepthPolicy policy) =>
        ExecutionPlan.Build(policy.ToMask(Layout.Groups.Select(g => g.Name).ToArray(), model.Config.Text.NumLayers), Layout, [LastPosition], model.Rotary);

    public void Dispose() => Embeddings.Dispose();
}
