namespace DopCompiler.Search;

/// <summary>Predicted (sum of curves) and measured joint KL of one policy.</summary>
public sealed record ApproximationCheck(string Policy, double Predicted, double Measured, double CostFraction);
