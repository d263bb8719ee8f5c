using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>A tiny random-weight LLaVA checkpoint on disk, loaded, with one sample prompt (system, image, text).</summary>
public sealed class TinyModel : IDisposable
{
    private readonly TempFolder _folder = new();

    public TinyModel(TinyLlavaOptions? options = null)
    {
        Options = options ?? new TinyLlavaOptions();
        TinyLlavaCheckpoint.Write(_folder.Path, Options);
        Model = LlavaModel.Load(_folder.Path);
        var generator = new Generator(0).manual_seed(11);
        Pixels = rand([3, Options.ImageSize, Options.ImageSize], generator: generator);
        (ImageFeatures, ClsAttention) = Model.EncodeImage(Pixels);
        PromptIds = [1, 5, 9, 12, Options.ImageTokenIndex, 20, 31, 7, 44, 3];
        Embeddings = Model.EmbedPrompt(PromptIds, ImageFeatures, out var segments);
        Segments = segments;
    }

    public TinyLlavaOptions Options { get; }

    public string Folder => _folder.Path;

    public LlavaModel Model { get; }

    public Tensor Pixels { get; }

    public Tensor ImageFeatures { get; }

    public Tensor ClsAttention { get; }

    public int[] PromptIds { get; }

    public Tensor Embeddings { get; }

    public PromptSegments Segments { get; }

    public int Layers => Options.Layers;

    public TokenGroupLayout Layout(int alwaysKeptTail = 1) => TokenGroupLayout.ForLlava(Segments, alwaysKeptTail);

    public ExecutionPlan Plan(DepthPolicy policy, int alwaysKeptTail = 1)
    {
        var layout = Layout(alwaysKeptTail);
        var mask = policy.ToMask(layout.Groups.Select(g => g.Name).ToArray(), Layers);
        return ExecutionPlan.Build(mask, layout, layout.AlwaysKept, Model.Rotary);
    }

    public static DepthPolicy Policy(int imageAttention = 0, int imageMlp = 0, int textAttention = 0, int textMlp = 0, int systemAttention = 0, int systemMlp = 0) =>
        new(new Dictionary<string, int> { ["image"] = imageAttention, ["text"] = textAttention, ["system"] = systemAttention },
            new Dictionary<string, int> { ["image"] = imageMlp, ["text"] = textMlp, ["system"] = systemMlp });

    public void Dispose()
    {
        Model.Dispose();
        Pixels.Dispose();
        ImageFeatures.Dispose();
        ClsAttention.Dispose();
        Embeddings.Dispose();
        _folder.Dispose();
    }
}
