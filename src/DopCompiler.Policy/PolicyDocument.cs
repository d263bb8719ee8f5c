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

    [DataContract]
    public sealed class PolicyModel
    {
        /// <summary>Model folder name (not a path: the policy must not depend on where the repo is cloned).</summary>
        [DataMember(Name = "name")] public string Name { get; set; } = "";

        /// <summary>SHA-256 over config.json and the safetensors files' bytes.</summary>
        [DataMember(Name = "hash")] public string Hash { get; set; } = "";

        [DataMember(Name = "model_type")] public string ModelType { get; set; } = "";

        /// <summary>The decoder's q/k/v projections carry biases (Qwen2): priced in the FLOPs; absent (false) for LLaMA.</summary>
        [DataMember(Name = "qkv_bias", EmitDefaultValue = false)] public bool QkvBias { get; set; }

        [DataMember(Name = "num_layers")] public int NumLayers { get; set; }

        [DataMember(Name = "hidden_size")] public int HiddenSize { get; set; }

        [DataMember(Name = "intermediate_size")] public int IntermediateSize { get; set; }

        [DataMember(Name = "num_heads")] public int NumHeads { get; set; }

        [DataMember(Name = "num_kv_heads")] public int NumKeyValueHeads { get; set; }

        [DataMember(Name = "head_dim")] public int HeadDim { get; set; }

        /// <summary>Image tokens per image; 0 when <see cref="ImageTokensVary"/> (or for a plain decoder).</summary>
        [DataMember(Name = "image_tokens")] public int ImageTokens { get; set; }

        /// <summary>
        /// An anyres model (<c>llava_next</c>, <c>llava_onevision</c>): every image has as many tokens as its size gives, so
        /// the class states no count (absent, false, for one-tile models).
        /// </summary>
        [DataMember(Name = "image_tokens_vary", EmitDefaultValue = false)] public bool ImageTokensVary { get; set; }

        [DataMember(Name = "image_token_id")] public int ImageTokenId { get; set; }
    }

    [DataContract]
    public sealed class PolicyGroup
    {
        [DataMember(Name = "name")] public string Name { get; set; } = "";

        /// <summary><c>system</c>, <c>image</c>, <c>image_key</c>, <c>image_rest</c> or <c>text</c>: which part of the prompt.</summary>
        [DataMember(Name = "source")] public string Source { get; set; } = "";

        [DataMember(Name = "prunable")] public bool Prunable { get; set; }

        /// <summary>Mean token count over the validation set (the budget is priced at this layout).</summary>
        [DataMember(Name = "mean_tokens")] public double MeanTokens { get; set; }

        /// <summary>Mean count of this group's tokens that are never pruned (the last prompt position, teacher-forced answer tokens).</summary>
        [DataMember(Name = "mean_always_kept")] public double MeanAlwaysKept { get; set; }

        /// <summary>For a [CLS]-ranked image split: the share of image tokens in this group; 0 otherwise.</summary>
        [DataMember(Name = "image_fraction", EmitDefaultValue = false)] public double ImageFraction { get; set; }

        /// <summary>
        /// For the halves of an image split: the order image tokens are taken in, <c>spread</c> (coarse to fine over the
        /// patch grid); null (absent) for the vision encoder's [CLS] attention order. Schema version 2.
        /// </summary>
        [DataMember(Name = "ranking", EmitDefaultValue = false)] public string? Ranking { get; set; }
    }

    [DataContract]
    public sealed class PolicyDepth
    {
        /// <summary><c>attention</c> or <c>mlp</c>.</summary>
        [DataMember(Name = "module")] public string Module { get; set; } = "";

        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Pruned in layers [num_layers − depth, num_layers).</summary>
        [DataMember(Name = "depth")] public int Depth { get; set; }
    }

    [DataContract]
    public sealed class PolicyLayer
    {
        [DataMember(Name = "layer")] public int Layer { get; set; }

        /// <summary>Groups whose attention runs here (queries and keys/values), prompt order.</summary>
        [DataMember(Name = "attention")] public List<string> Attention { get; set; } = new List<string>();

        /// <summary>Groups whose MLP runs here, prompt order.</summary>
        [DataMember(Name = "mlp")] public List<string> Mlp { get; set; } = new List<string>();

        /// <summary>Groups that leave the sequence at the start of this layer (never read again: dead work removed).</summary>
        [DataMember(Name = "dropped")] public List<string> Dropped { get; set; } = new List<string>();
    }

    [DataContract]
    public sealed class PolicyBudget
    {
        /// <summary><c>fraction</c>, <c>tflops</c>, <c>latency_fraction</c>, <c>max_accuracy_drop</c> or <c>max_kl</c>.</summary>
        [DataMember(Name = "kind")] public string Kind { get; set; } = "";

        [DataMember(Name = "asked")] public double Asked { get; set; }

        /// <summary>Reached value in the same unit as <see cref="Asked"/> (for a quality target: the measured drop or KL).</summary>
        [DataMember(Name = "reached")] public double Reached { get; set; }

        /// <summary>Decoder prefill FLOPs of the policy divided by the unpruned model's.</summary>
        [DataMember(Name = "flops_fraction")] public double FlopsFraction { get; set; }
    }

    [DataContract]
    public sealed class PolicyDivergence
    {
        /// <summary>Sum of the curves at the chosen depths (the additive approximation).</summary>
        [DataMember(Name = "predicted_kl")] public double PredictedKl { get; set; }

        /// <summary>KL of the chosen policy measured on the validation set; negative when not measured.</summary>
        [DataMember(Name = "measured_kl")] public double MeasuredKl { get; set; }

        /// <summary><c>first_answer</c> or <c>teacher_forced</c>.</summary>
        [DataMember(Name = "positions")] public string Positions { get; set; } = "";

        [DataMember(Name = "max_positions")] public int MaxPositions { get; set; }

        [DataMember(Name = "samples")] public int Samples { get; set; }
    }

    [DataContract]
    public sealed class PolicyFlops
    {
        /// <summary><c>gqa</c> or <c>paper</c>.</summary>
        [DataMember(Name = "convention")] public string Convention { get; set; } = "";

        [DataMember(Name = "unpruned")] public double Unpruned { get; set; }

        [DataMember(Name = "pruned")] public double Pruned { get; set; }

        [DataMember(Name = "projections")] public double Projections { get; set; }

        [DataMember(Name = "attention")] public double Attention { get; set; }

        [DataMember(Name = "mlp")] public double Mlp { get; set; }
    }

    [DataContract]
    public sealed class PolicyTime
    {
        [DataMember(Name = "unpruned_ms")] public double UnprunedMilliseconds { get; set; }

        [DataMember(Name = "predicted_ms")] public double PredictedMilliseconds { get; set; }

        /// <summary>Identity of the machine the time model was fitted on.</summary>
        [DataMember(Name = "machine")] public string Machine { get; set; } = "";
    }

    [DataContract]
    public sealed class PolicyTokenCounts
    {
        /// <summary>The image group as the spec names it (before the <c>_key</c>/<c>_rest</c> split).</summary>
        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Image tokens per image when all are kept (D = 0 there).</summary>
        [DataMember(Name = "image_tokens")] public int ImageTokens { get; set; }

        /// <summary>The grid's counts, ascending.</summary>
        [DataMember(Name = "counts")] public List<int> Counts { get; set; } = new List<int>();

        /// <summary>Measured D at each count (same order as <see cref="Counts"/>).</summary>
        [DataMember(Name = "kl")] public List<double> Kl { get; set; } = new List<double>();
    }

    [DataContract]
    public sealed class PolicyCurve
    {
        [DataMember(Name = "module")] public string Module { get; set; } = "";

        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Depths 0..num_layers (every value, interpolated between grid points where not measured).</summary>
        [DataMember(Name = "kl")] public List<double> Kl { get; set; } = new List<double>();

        /// <summary>Depths at which the curve was measured (the rest is interpolated).</summary>
        [DataMember(Name = "measured_depths")] public List<int> MeasuredDepths { get; set; } = new List<int>();
    }
}
