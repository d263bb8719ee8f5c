
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

/// <summary>Where the validation samples come from and how many to use.</summary>
public sealed record ValidationSpec
{
    /// <summary>Absolute path of the JSONL file.</summary>
    public required string Path { get; init; }

    /// <summary>Use only the first <c>Limit</c> samples; null for all.</summary>
    public int? Limit { get; init; }
}

/// <summary>The part of a LLaVA-style prompt a token group is drawn from.</summary>
public enum TokenSource
{
    /// <summary>Prompt positions before the image token.</summary>
    System,

    /// <summary>The projected vision tokens that replace the image token.</summary>
    Image,

    /// <summary>Prompt positions after the image token.</summary>
    Text,
}

/// <summary>One named token group of the prompt and whether its operations may be pruned.</summary>
public sealed record TokenGroupSpec
{
    public required string Name { get; init; }

    public required TokenSource Source { get; init; }

    public required bool Prunable { get; init; }

    /// <summary>For image groups only: split into <c>{Name}_key</c> and <c>{Name}_rest</c> by [CLS] attention.</summary>
    public ClsSplitSpec? ClsSplit { get; init; }

    /// <summary>
    /// For image groups: the order a split (<see cref="ClsSplit"/>, or the <c>n_v</c> grid) takes image tokens in.
    /// Ignored when the group is not split.
    /// </summary>
    public ImageRanking Ranking { get; init; } = ImageRanking.Cls;

    /// <summary>The names of the groups the search sees: this one, or its key and rest halves.</summary>
    public EquatableArray<string> ResolvedNames =>
        ClsSplit is null ? new[] { Name } : new[] { Name + "_key", Name + "_rest" };
}

/// <summary>The order an image split takes image tokens in.</summary>
public enum ImageRanking
{
    /// <summary>Highest vision-encoder [CLS] attention first (the paper's choice).</summary>
    Cls,

    /// <summary>Coarse to fine over the patch grid, the same for every image: any prefix covers the image evenly.</summary>
    Spread,
}

/// <summary>Splits an image group by the vision encoder's [CLS] attention.</summary>
public sealed record ClsSplitSpec
{
    /// <summary>Share of the group's tokens, ranked by [CLS] attention, that form the key part (0 &lt; f &lt; 1).</summary>
    public required double KeyFraction { get; init; }
}

/// <summary>A language-decoder module kind whose per-group work can be pruned.</summary>
public enum PrunableModule
{
    Attention,
    Mlp,
}

/// <summary>How the budget is given; exactly one kind per spec.</summary>
public enum BudgetKind
{
    /// <summary>A fraction of the unpruned decoder prefill FLOPs (0 &lt; f ≤ 1).</summary>
    Fraction,

    /// <summary>Absolute decoder prefill TFLOPs (&gt; 0).</summary>
    Tflops,

    /// <summary>A fraction of the unpruned decoder prefill time predicted by the fitted time model (0 &lt; f ≤ 1).</summary>
    LatencyFraction,

    /// <summary>
    /// A quality target: the cheapest frontier policy (priced by <see cref="BudgetSpec.Price"/>) whose measured exact-match
    /// accuracy on the validation answers is at most this share below the unpruned model's (0 ≤ d &lt; 1; 0.01 = one point).
    /// </summary>
    MaxAccuracyDrop,

    /// <summary>A quality target: the cheapest frontier policy whose measured joint KL on the validation set is at most this (≥ 0).</summary>
    MaxKl,
}

/// <summary>What "cheapest" means for a quality target (<c>budget.price</c>).</summary>
public enum BudgetPrice
{
    /// <summary>Decoder prefill FLOPs at the validation set's mean layout.</summary>
    Flops,

    /// <summary>Decoder prefill time predicted by the fitted time model (machine-specific, as for <c>latency_fraction</c>).</summary>
    Latency,
}

/// <summary>The compute budget the solver must meet.</summary>
public sealed record BudgetSpec
{
    public required BudgetKind Kind { get; init; }

    /// <summary>The fraction, TFLOPs, accuracy drop or KL, depending on <see cref="Kind"/>.</summary>
    public required double Value { get; init; }

    /// <summary>What a budget that cannot be met even with everything prunable pruned gets (<c>on_unreachable</c>).</summary>
    public UnreachableBudget OnUnreachable { get; init; } = UnreachableBudget.Error;

    /// <summary>
    /// For a quality target, what the frontier is priced in (which policy is "cheapest"); always <see cref="BudgetPrice.Flops"/>
    /// for the other kinds (their unit decides: a latency fraction is priced in predicted time whatever this says).
    /// </summary>
    public BudgetPrice Price { get; init; } = BudgetPrice.Flops;

    /// <summary>Whether the budget is a quality target (<c>max_accuracy_drop</c>, <c>max_kl</c>) rather than a cost.</summary>
    public bool IsQualityTarget => Kind is BudgetKind.MaxAccuracyDrop or BudgetKind.MaxKl;

    /// <summary>Whether the search prices policies with the fitted time model (a latency fraction, or a target priced in latency).</summary>
    public bool PricedInTime => Kind == BudgetKind.LatencyFraction || (IsQualityTarget && Price == BudgetPrice.Latency);
}

/// <summary>One entry of <c>budgets:</c>: its name (the generated <c>Variant</c> member is its PascalCase) and budget.</summary>
public sealed record NamedBudget(string Name, BudgetSpec Budget);

/// <summary>Which FLOPs formula to count with.</summary>
public enum FlopsCounting
{
    /// <summary>Grouped-query attention aware (K/V projections use the key/value head count).</summary>
    Gqa,

    /// <summary>The predecessor code's formula (no GQA, no causal halving), for comparison with the paper.</summary>
    Paper,
}

/// <summary>Which positions the divergence is measured at.</summary>
public enum DivergencePositions
{
    /// <summary>Only the first answer position (the last prompt position's next-token distribution).</summary>
    FirstAnswer,

    /// <summary>The first answer position and up to <c>MaxPositions</c> teacher-forced positions of the original answer.</summary>
    TeacherForced,
}

public sealed record DivergenceSpec
{
    public DivergencePositions Positions { get; init; } = DivergencePositions.TeacherForced;

    /// <summary>T: the most answer positions measured (1..64).</summary>
    public int MaxPositions { get; init; } = 8;
}

/// <summary>The grid each policy parameter is measured on.</summary>
public sealed record GridSpec
{
    /// <summary>Measure every <c>Step</c>-th depth (endpoints always), interpolate between.</summary>
    public int Step { get; init; } = 1;

    /// <summary>Image-token counts kept before the decoder (ascending, distinct); null when n_v is not searched.</summary>
    public EquatableArray<int>? NV { get; init; }
}

public enum DeviceKind
{
    Auto,
    Cpu,
    Cuda,
}

public enum PrecisionKind
{
    Auto,
    Fp32,
    Bf16,
}

/// <summary>Names of the generated class.</summary>
public sealed record OutputSpec
{
    public required string ClassName { get; init; }

    public required string Namespace { get; init; }
}
