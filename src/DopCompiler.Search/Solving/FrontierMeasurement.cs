namespace DopCompiler.Search.Solving;

/// <summary>One candidate the walk measured: its frontier position, the measured value and whether it met the target.</summary>
public sealed record FrontierMeasurement(int Index, double Value, bool Meets);
