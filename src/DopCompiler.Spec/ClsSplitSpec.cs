namespace DopCompiler.Spec;

/// <summary>Splits an image group by the vision encoder's [CLS] attention.</summary>
public sealed record ClsSplitSpec
{
    /// <summary>Share of the group's tokens, ranked by [CLS] attention, that form the key part (0 &lt; f &lt; 1).</summary>
    public required double KeyFraction { get; init; }
}
