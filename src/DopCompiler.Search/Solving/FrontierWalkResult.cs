namespace DopCompiler.Search.Solving;

/// <summary>
/// The walk's answer: the chosen frontier position and every measurement in the order made. The chosen position was
/// measured unless it is the dearest one (taken to meet the target).
/// </summary>
public sealed record FrontierWalkResult(int Chosen, IReadOnlyList<FrontierMeasurement> Measured)
{
    /// <summary>The chosen position's measured value, or null when it was not measured (the dearest position).</summary>
    public double? ChosenValue => Measured.LastOrDefault(m => m.Index == Chosen)?.Value;
}
