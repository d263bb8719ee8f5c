namespace DopCompiler.Search.Curves;

/// <summary>
/// One measured point of a search's curves: a divergence curve at one grid depth (<see cref="Module"/> attention or
/// mlp, <see cref="Value"/> the depth) or the n_v curve at one token count (<see cref="Module"/> <see cref="TokenCount"/>,
/// <see cref="Value"/> the count). Each is measured alone, so any subset can be measured in any process.
/// </summary>
public sealed record CurvePointId(string Module, string Group, int Value)
{
    public const string TokenCount = "n_v";

    public bool IsTokenCount => Module == TokenCount;

    /// <summary>
    /// Every point of a search in its one fixed order: each parameter (module-major, as <see cref="CurveBuilder.Parameters"/>)
    /// at each grid depth above 0, then the n_v grid ascending. Shards are cut from this order (<see cref="CurveShard"/>).
    /// </summary>
    public static IReadOnlyList<CurvePointId> All(IReadOnlyList<PolicyParameter> parameters, int layers, int step, string? imageGroup, IReadOnlyList<int>? tokenCounts)
    {
        var depths = CurveBuilder.GridDepths(layers, step).Skip(1).ToArray();
        var points = parameters.SelectMany(p => depths.Select(d => new CurvePointId(p.Module, p.Group, d))).ToList();
        if (imageGroup is not null && tokenCounts is not null)
        {
            points.AddRange(tokenCounts.Select(c => new CurvePointId(TokenCount, imageGroup, c)));
        }

        return points;
    }

    public override string ToString() => IsTokenCount ? $"n_v curve {Group} count {Value}" : $"curve {Module}/{Group} depth {Value}";
}
