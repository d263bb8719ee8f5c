namespace DopCompiler.Generator.Model
{
    /// <summary>Everything the emitter writes for one policy, already validated; value equality for caching.</summary>
    internal sealed record ClassSpec
    {
        public string Namespace { get; init; } = "";

        public string ClassName { get; init; } = "";

        /// <summary><c>public</c> or <c>internal</c>.</summary>
        public string Visibility { get; init; } = DopConventions.DefaultVisibility;

        /// <summary>The policy file's name (never its path: output must not depend on where the repo is cloned).</summary>
        public string PolicyFileName { get; init; } = "";

        public string ToolVersion { get; init; } = "";

        public string SpecHash { get; init; } = "";

        /// <summary>The model folder relative to the app's base directory that <c>Load()</c> opens ('/'-separated).</summary>
        public string ModelFolder { get; init; } = "";

        public ModelSpec Model { get; init; } = new ModelSpec();

        public EquatableArray<GroupSpec> Groups { get; init; } = EquatableArray<GroupSpec>.Empty;

        public EquatableArray<DepthSpec> Depths { get; init; } = EquatableArray<DepthSpec>.Empty;

        public EquatableArray<LayerSpec> Layers { get; init; } = EquatableArray<LayerSpec>.Empty;

        public BudgetSpec Budget { get; init; } = new BudgetSpec();

        /// <summary>Share of image tokens in <c>image_key</c>; null when the image is one group.</summary>
        public double? ImageKeyFraction { get; init; }

        /// <summary>The order <c>image_key</c> takes image tokens in: <c>spread</c>, or null for [CLS] attention.</summary>
        public string? ImageRanking { get; init; }

        /// <summary>
        /// The named variants of a policy with several budgets, in spec order (the first is the default, repeated in
        /// <see cref="Depths"/>/<see cref="Layers"/>/<see cref="Budget"/>); empty for a single budget, whose class is unchanged.
        /// </summary>
        public EquatableArray<VariantSpec> Variants { get; init; } = EquatableArray<VariantSpec>.Empty;

        /// <summary>The spec's forced precision (<c>fp32</c> or <c>bf16</c>), or null for <c>auto</c> (the machine's probe).</summary>
        public string? Precision { get; init; }
    }
}
