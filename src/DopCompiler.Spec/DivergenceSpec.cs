namespace DopCompiler.Spec;

public sealed record DivergenceSpec
{
    public DivergencePositions Positions { get; init; } = DivergencePositions.TeacherForced;

    /// <summary>T: the most answer positions measured (1..64).</summary>
    public int MaxPositions { get; init; } = 8;
}
