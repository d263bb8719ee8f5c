using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>
    /// One named budget of a spec with several (<c>budgets:</c>): its solution, over the document's shared model, groups and
    /// curves. The document's own <c>budget</c>/<c>depths</c>/<c>layers</c>/<c>divergence</c>/<c>flops</c>/<c>time</c> repeat
    /// the first variant's, so a reader that knows one policy per file (eval, report, trim of one variant) reads the default
    /// variant. Schema version 3.
    /// </summary>
    [DataContract]
    public sealed class PolicyVariant
    {
        /// <summary>The budget's name in the spec (<c>fast</c>); the generated <c>Variant</c> member is its PascalCase.</summary>
        [DataMember(Name = "name")] public string Name { get; set; } = "";

        [DataMember(Name = "budget")] public PolicyBudget Budget { get; set; } = new PolicyBudget();

        /// <summary>The depth table of this variant, sorted by module, then group.</summary>
        [DataMember(Name = "depths")] public List<PolicyDepth> Depths { get; set; } = new List<PolicyDepth>();

        /// <summary>The depth table expanded per decoder layer.</summary>
        [DataMember(Name = "layers")] public List<PolicyLayer> Layers { get; set; } = new List<PolicyLayer>();

        [DataMember(Name = "divergence")] public PolicyDivergence Divergence { get; set; } = new PolicyDivergence();

        [DataMember(Name = "flops")] public PolicyFlops Flops { get; set; } = new PolicyFlops();

        [DataMember(Name = "time", EmitDefaultValue = false)] public PolicyTime? Time { get; set; }

        /// <summary>For a quality-target variant: the target, measured value, margin and candidates measured; null otherwise.</summary>
        [DataMember(Name = "quality", EmitDefaultValue = false)] public PolicyQuality? Quality { get; set; }
    }
}
