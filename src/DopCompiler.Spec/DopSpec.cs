namespace DopCompiler.Spec;

/// <summary>A parsed, checked <c>dop.yaml</c>: everything the compiler needs to search and emit a pruned model.</summary>
/// <remarks>Every path is absolute, resolved against the yaml file's folder. Defaults are filled in.</remarks>
public sealed record DopSpec
{
    /// <summary>The absolute path of the yaml file.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The model folder (holds config.json and the safetensors checkpoint).</summary>
    public required string Model { get; init; }

    public required ValidationSpec Validation { get; init; }

    /// <summary>Token groups in prompt order (system, image, text); an image group with a [CLS] split is one entry.</summary>
    public required EquatableArray<TokenGroupSpec> Groups { get; init; }

    /// <summary>The decoder modules that may be pruned, in the order attention, mlp.</summary>
    public required EquatableArray<PrunableModule> Modules { get; init; }

    /// <summary>The budget; with several named budgets (<see cref="Budgets"/>), the first of them (the default variant).</summary>
    public required BudgetSpec Budget { get; init; }

    /// <summary>
    /// The named budgets of <c>budgets:</c> in spec order (one search, one policy file, one class with a variant per
    /// budget); null for the single <c>budget:</c> form.
    /// </summary>
    public EquatableArray<NamedBudget>? Budgets { get; init; }

    public FlopsCounting Flops { get; init; } = FlopsCounting.Gqa;

    public required DivergenceSpec Divergence { get; init; }

    public required GridSpec Grid { get; init; }

    public DeviceKind Device { get; init; } = DeviceKind.Auto;

    /// <summary>Where <c>device:</c> is written, so a device that cannot be used is reported at its line; null when not given.</summary>
    public SpecLocation? DeviceAt { get; init; }

    public PrecisionKind Precision { get; init; } = PrecisionKind.Auto;

    public required OutputSpec Output { get; init; }

    /// <summary>
    /// A folder holding a (CUDA) libtorch.so to load instead of the packaged CPU one; null for the default. <c>dop search</c>
    /// and <c>dop solve</c> read it before loading native code; <c>--libtorch-dir</c> and <c>DOP_LIBTORCH_DIR</c> win over it.
    /// </summary>
    public string? LibTorchDir { get; init; }

    /// <summary>Seed for everything random (sampling of random policies, shuffles).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// When set, a search whose estimated time (measured after the reference run, before any curve is measured) exceeds
    /// this many minutes stops with DOP047 instead of running for hours.
    /// </summary>
    public double? MaxSearchMinutes { get; init; }
}
