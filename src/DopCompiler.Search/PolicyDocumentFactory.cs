using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;

namespace DopCompiler.Search;

/// <summary>Builds the policy file's document from a depth policy: the depth table and its per-layer expansion.</summary>
public static class PolicyDocumentFactory
{
    public static readonly string[] Modules = ["attention", "mlp"];

    /// <summary>
    /// The depth table (sorted by module, then group) and the per-layer table the generator unrolls. Other sections
    /// (budget, divergence, FLOPs, curves) are filled by the caller.
    /// </summary>
    public static PolicyDocument Create(ModelConfig config, string modelName, string modelHash, IReadOnlyList<PolicyGroup> groups, DepthPolicy policy)
    {
        var layers = config.Text.NumLayers;
        var names = groups.Select(g => g.Name).ToArray();
        var mask = policy.ToMask(names, layers);
        var deadFrom = Enumerable.Range(0, names.Length).Select(mask.DeadFrom).ToArray();
        var document = new PolicyDocument
        {
            SchemaVersion = PolicySchema.VersionFor(groups),
            ToolVersion = ToolVersion.Current,
            Model = new PolicyModel
            {
                Name = modelName,
                Hash = modelHash,
                ModelType = config.ModelType,
                QkvBias = config.Text.QkvBias,
                NumLayers = layers,
                HiddenSize = config.Text.HiddenSize,
                IntermediateSize = config.Text.IntermediateSize,
                NumHeads = config.Text.NumHeads,
                NumKeyValueHeads = config.Text.NumKeyValueHeads,
                HeadDim = config.Text.HeadDim,
                ImageTokens = config.ImageTokensPerImage,
                ImageTokenId = config.ImageTokenIndex,
            },
            Groups = groups.ToList(),
        };

        foreach (var module in Modules)
        {
            var depths = module == "attention" ? policy.AttentionDepth : policy.MlpDepth;
            foreach (var group in names.Order(StringComparer.Ordinal))
            {
                document.Depths.Add(new PolicyDepth { Module = module, Group = group, Depth = depths.GetValueOrDefault(group) });
            }
        }

        for (var l = 0; l < layers; l++)
        {
            var layer = l;
            // A dead group runs nothing even where its MLP depth would keep it: nobody reads its hidden state again.
            document.Layers.Add(new PolicyLayer
            {
                Layer = l,
                Attention = names.Where((g, i) => deadFrom[i] > layer && mask.AttentionKept(layer, i)).ToList(),
                Mlp = names.Where((g, i) => deadFrom[i] > layer && mask.MlpKept(layer, i)).ToList(),
                Dropped = names.Where((g, i) => deadFrom[i] == layer).ToList(),
            });
        }

        return document;
    }

    /// <summary>The depth policy a document describes (inverse of <see cref="Create"/>'s depth table).</summary>
    public static DepthPolicy ToDepthPolicy(PolicyDocument document) => new(
        document.Depths.Where(d => d.Module == "attention").ToDictionary(d => d.Group, d => d.Depth),
        document.Depths.Where(d => d.Module == "mlp").ToDictionary(d => d.Group, d => d.Depth));
}
