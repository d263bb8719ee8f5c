using DopCompiler.Model.Configuration;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;

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

    /// <summary><see cref="SplitGroups"/> priced by <paramref name="model"/> at a fixed layout (6, 16, 48 and 12.5 tokens; 4 of the text always kept).</summary>
    public static PolicyCost Cost(ILayerCostModel model) =>
        new(model, new MeanLayout(SplitGroups, [6, 16, 48, 12.5], [0, 0, 0, 4]), Config.NumLayers);

    /// <summary>Random increasing curves for both modules of <paramref name="groups"/>: small steps, a large one at full depth.</summary>
    public static List<DivergenceCurve> RandomCurves(int seed, string[] groups)
    {
        var random = new Random(seed);
        var curves = new List<DivergenceCurve>();
        foreach (var module in new[] { PolicyParameter.Attention, PolicyParameter.Mlp })
        {
            foreach (var group in groups)
            {
                var measured = new Dictionary<int, double> { [0] = 0 };
                var value = 0.0;
                for (var v = 1; v <= Config.NumLayers; v++)
                {
                    value += random.NextDouble() * (v == Config.NumLayers ? 1 : 0.2);
                    measured[v] = value;
                }

                curves.Add(DivergenceCurve.FromMeasured(module, group, Config.NumLayers, measured));
            }
        }

        return curves;
    }
}
