using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>
    /// A DOP policy file (schema version <see cref="PolicySchema.Version"/>): what the search chose for one model and
    /// one spec, with everything the generator, the report and a human reader need. Keys are written sorted;
    /// <c>docs/policy-schema.md</c> documents each.
    /// </summary>
    [DataContract]
    public sealed class PolicyDocument
    {
        [DataMember(Name = "schema_version")] public int SchemaVersion { get; set; }

        [DataMember(Name = "tool_version")] public string ToolVersion { get; set; } = "";

        [DataMember(Name = "model")] public PolicyModel Model { get; set; } = new PolicyModel();

        /// <summary>Content hash of the spec's inputs that decide the policy (spec file, validation data, settings).</summary>
        [DataMember(Name = "spec_hash")] public string SpecHash { get; set; } = "";

        /// <summary>Token groups in prompt order.</summary>
        [DataMember(Name = "groups")] public List<PolicyGroup> Groups { get; set; } = new List<PolicyGroup>();

        /// <summary>The depth table: per (module, group) the number of deepest layers pruned. Sorted by module, then group.</summary>
        [DataMember(Name = "depths")] public List<PolicyDepth> Depths { get; set; } = new List<PolicyDepth>();

        /// <summary>The depth table expanded per decoder layer (derived; what the generator unrolls).</summary>
        [DataMember(Name = "layers")] public List<PolicyLayer> Layers { get; set; } = new List<PolicyLayer>();

        [DataMember(Name = "budget")] public PolicyBudget Budget { get; set; } = new PolicyBudget();

        [DataMember(Name = "divergence")] public PolicyDivergence Divergence { get; set; } = new PolicyDivergence();

        [DataMember(Name = "flops")] public PolicyFlops Flops { get; set; } = new PolicyFlops();

        /// <summary>Predicted and measured prefill time, when a time model was fitted (latency budgets); null otherwise.</summary>
        [DataMember(Name = "time", EmitDefaultValue = false)] public PolicyTime? Time { get; set; }

        /// <summary>For a quality target: the target, the measured value, the margin and the candidates measured; null otherwise.</summary>
        [DataMember(Name = "quality", EmitDefaultValue = false)] public PolicyQuality? Quality { get; set; }

        /// <summary>
        /// How the validation set's layouts vary around the groups' mean counts: the covariance of every sample's token
        /// counts taken as one vector (each group's size, then each group's always-kept count, in group order), so a re-priced
        /// FLOPs or time figure is the mean over the samples as the search computed it (attention scores are quadratic in
        /// the tokens). Absent when every sample has the same layout, and in files written before it existed.
        /// </summary>
        [DataMember(Name = "layout_covariance", EmitDefaultValue = false)] public List<List<double>>? LayoutCovariance { get; set; }

        /// <summary>Per-parameter divergence curves the solver used. Sorted by module, then group.</summary>
        [DataMember(Name = "curves")] public List<PolicyCurve> Curves { get; set; } = new List<PolicyCurve>();

        /// <summary>
        /// The image-token count curve D(n_v) when the spec searched <c>grid.n_v</c>: what each count on the grid would have
        /// cost in divergence, so a report can show the n_v choices the solver weighed. Informative only (nothing generated
        /// reads it); null (absent) when n_v was not searched, so such files are byte-identical to before.
        /// </summary>
        [DataMember(Name = "token_counts", EmitDefaultValue = false)] public PolicyTokenCounts? TokenCounts { get; set; }

        /// <summary>
        /// The generated class's names as the tool's spec parser resolved them (<c>output.class_name</c> /
        /// <c>output.namespace</c> and their defaults). The build reads them from here, so one parser decides. Absent in
        /// files written before this field existed (readers then fall back to the spec file name and <c>DopGenerated</c>).
        /// </summary>
        [DataMember(Name = "output", EmitDefaultValue = false)] public PolicyOutput? Output { get; set; }

        /// <summary>
        /// The coded warnings the search reported (DOP041, ...), sorted by code: the tool repeats them whenever it
        /// finds this policy up to date, so warnings-as-errors keeps failing a build until the cause is fixed.
        /// </summary>
        [DataMember(Name = "warnings", EmitDefaultValue = false)] public List<PolicyWarning>? Warnings { get; set; }

        /// <summary>
        /// For a spec with several named budgets (<c>budgets:</c>): every variant in spec order, the first repeated in this
        /// document's own sections. Null (absent) for a single budget, whose file is then exactly as before. Schema version 3.
        /// </summary>
        [DataMember(Name = "variants", EmitDefaultValue = false)] public List<PolicyVariant>? Variants { get; set; }

        /// <summary>
        /// This one-policy document as a named variant of a <c>budgets:</c> file: the per-variant sections, the inverse of
        /// <see cref="VariantDocument"/> (kept beside it so a new per-variant section is added to both directions at once).
        /// </summary>
        public PolicyVariant AsVariant(string name) => new PolicyVariant
        {
            Name = name,
            Budget = Budget,
            Depths = Depths,
            Layers = Layers,
            Divergence = Divergence,
            Flops = Flops,
            Time = Time,
            Quality = Quality,
        };

        /// <summary>
        /// The variant named <paramref name="name"/> as a one-policy document (the shared sections and that variant's), or the
        /// document itself for null; null when no variant has that name.
        /// </summary>
        public PolicyDocument? VariantDocument(string? name)
        {
            if (name == null)
            {
                return this;
            }

            var variant = Variants?.Find(v => v.Name == name);
            if (variant == null)
            {
                return null;
            }

            return new PolicyDocument
            {
                SchemaVersion = SchemaVersion,
                ToolVersion = ToolVersion,
                Model = Model,
                SpecHash = SpecHash,
                Groups = Groups,
                Depths = variant.Depths,
                Layers = variant.Layers,
                Budget = variant.Budget,
                Divergence = variant.Divergence,
                Flops = variant.Flops,
                Time = variant.Time,
                Quality = variant.Quality,
                Curves = Curves,
                LayoutCovariance = LayoutCovariance,
                TokenCounts = TokenCounts,
                Output = Output,
                Warnings = Warnings,
                Precision = Precision,
            };
        }

        /// <summary>
        /// The spec's forced <c>precision</c> (<c>fp32</c> or <c>bf16</c>), which the generated class computes in; absent for
        /// <c>auto</c> (the class follows the machine's probe). Schema version 4.
        /// </summary>
        [DataMember(Name = "precision", EmitDefaultValue = false)] public string? Precision { get; set; }
    }
}
