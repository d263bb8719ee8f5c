using DopCompiler.Model.Modules;
using DopCompiler.Policy;

namespace DopCompiler.Search.Document;

/// <summary>Which weights a generated class (or the interpreter) reads for a policy: the rule behind trimmed checkpoints.</summary>
public static class PolicyModules
{
    /// <summary>
    /// The decoder modules read in each layer for <paramref name="policy"/>. A module's weights are needed when any token
    /// runs it: a token group the layer lists under <c>attention</c> / <c>mlp</c>, or a token that always runs every module.
    /// With depth-wise policies the last prompt position is never pruned (its logits are the output) and generated tokens
    /// run the full model while decoding, so <paramref name="everyModuleRunsForSomeToken"/> is true for every class this
    /// version generates and no decoder module is ever left out. The rule is written out in general so that a class kind
    /// without those full-model tokens (prefill-only scoring, say) drops what its policy prunes for every token.
    /// </summary>
    public static Func<int, LayerModules> ModulesRead(PolicyDocument policy, bool everyModuleRunsForSomeToken = true)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Variants is { Count: > 0 } variants)
        {
            // One class runs every variant on one loaded model: it reads the union of what the variants read.
            var each = variants.Select(v => ModulesRead(policy.VariantDocument(v.Name)!, everyModuleRunsForSomeToken)).ToArray();
            return layer => each.Aggregate(LayerModules.None, (modules, read) => modules | read(layer));
        }

        var byLayer = policy.Layers.ToDictionary(l => l.Layer);
        return layer =>
        {
            if (everyModuleRunsForSomeToken)
            {
                return LayerModules.All;
            }

            if (!byLayer.TryGetValue(layer, out var entry))
            {
                return LayerModules.All;
            }

            return (entry.Attention.Count > 0 ? LayerModules.Attention : LayerModules.None)
                | (entry.Mlp.Count > 0 ? LayerModules.Mlp : LayerModules.None);
        };
    }
}
