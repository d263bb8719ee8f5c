using DopCompiler.Runtime;

namespace DopCompiler.Bench;

/// <summary>
/// The class DopCompiler.Generator emits for the unpruned policy of a real-shape checkpoint, written out here because a
/// build-time search at 1.1B/7B size is out of reach on this machine: the same base (<see cref="DopCompiledModel"/>: its
/// constructor loads through <c>LlavaModel.Load</c> with the precision and resident budget a generated class gets, its
/// <c>Prefill</c> builds the layout program and drives a <see cref="DopSequence"/>) and the same calls per layer as the
/// emitted <c>LayerN</c> methods (attention and MLP over every group). Only the loop differs: the emitted class unrolls it.
/// </summary>
public sealed class RealShapeDop : DopCompiledModel
{
    private const uint AllGroups = 0b111; // system | image | text

    private readonly int _layersRun;

    private RealShapeDop(string modelDirectory, DopModelShape shape, int layersRun)
        : base(modelDirectory, shape)
    {
        _layersRun = layersRun;
    }

    /// <summary>
    /// Loads <paramref name="modelDirectory"/> as a class generated for its own shape with a forced <paramref name="precision"/>
    /// (<c>fp32</c> or <c>bf16</c>, as a spec's <c>precision:</c> reaches the class); <paramref name="layersRun"/> &gt; 0 runs only
    /// the first layers (the partial prefill of the fp32 7B run).
    /// </summary>
    public static RealShapeDop Load(string modelDirectory, string precision, int layersRun)
    {
        var config = DopCompiler.Model.Configuration.ModelConfigReader.Read(modelDirectory);
        var text = config.Text;
        var shape = new DopModelShape
        {
            NumLayers = text.NumLayers,
            HiddenSize = text.HiddenSize,
            IntermediateSize = text.IntermediateSize,
            NumHeads = text.NumHeads,
            NumKeyValueHeads = text.NumKeyValueHeads,
            ImageTokens = config.ImageTokensPerImage,
            Groups = ["system", "image", "text"],
            ModelHash = null, // hashing 2.8–14 GB of random weights would time the hash, not the class
            Precision = precision,
        };
        return new RealShapeDop(modelDirectory, shape, layersRun > 0 ? Math.Min(layersRun, text.NumLayers) : text.NumLayers);
    }

    protected override void RunLayers(DopSequence sequence)
    {
        for (var layer = 0; layer < _layersRun; layer++)
        {
            sequence.Attention(layer, AllGroups);
            sequence.Mlp(layer, AllGroups);
        }
    }
}
