namespace DopCompiler.Search.Document;

/// <summary>
/// The frontier with <see cref="KeptImageTokens"/> image tokens entering the decoder (D(n_v) = <see cref="CountKl"/>,
/// included in every point), ascending by cost.
/// </summary>
public sealed record FrontierLine(int KeptImageTokens, double CountKl, IReadOnlyList<FrontierPoint> Points);
