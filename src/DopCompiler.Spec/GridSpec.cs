namespace DopCompiler.Spec;

/// <summary>The grid each policy parameter is measured on.</summary>
public sealed record GridSpec
{
    /// <summary>Measure every <c>Step</c>-th depth (endpoints always), interpolate between.</summary>
    public int Step { get; init; } = 1;

    /// <summary>Image-token counts kept before the decoder (ascending, distinct); null when n_v is not searched.</summary>
    public EquatableArray<int>? NV { get; init; }
}
