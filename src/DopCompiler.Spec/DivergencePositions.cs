namespace DopCompiler.Spec;

/// <summary>Which positions the divergence is measured at.</summary>
public enum DivergencePositions
{
    /// <summary>Only the first answer position (the last prompt position's next-token distribution).</summary>
    FirstAnswer,

    /// <summary>The first answer position and up to <c>MaxPositions</c> teacher-forced positions of the original answer.</summary>
    TeacherForced,
}
