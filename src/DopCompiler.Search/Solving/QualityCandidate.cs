namespace DopCompiler.Search.Solving;

/// <summary>
/// One frontier policy a quality target measured: its position, its cost as a share of the unpruned cost in the target's
/// price, its FLOPs share, the measured value and whether it met the target.
/// </summary>
public sealed record QualityCandidate(int Position, string Policy, double CostFraction, double FlopsFraction, double Measured, bool Meets);
