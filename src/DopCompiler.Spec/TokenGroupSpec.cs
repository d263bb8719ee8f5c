namespace DopCompiler.Spec;

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
