namespace DopCompiler.Model.Pruning;

/// <summary>A named set of prompt positions (sorted original position ids), resolved per sample.</summary>
public sealed record TokenGroup(string Name, int[] Positions, bool Prunable)
{
    public int Count => Positions.Length;
}
