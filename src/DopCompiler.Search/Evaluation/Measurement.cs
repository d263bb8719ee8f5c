namespace DopCompiler.Search.Evaluation;

/// <summary>The measure phase's result: the chosen policy's joint KL (-1 when not measured) and the approximation checks.</summary>
internal sealed record Measurement(double MeasuredKl, IReadOnlyList<ApproximationCheck> Checks);
