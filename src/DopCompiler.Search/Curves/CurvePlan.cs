using DopCompiler.Spec;

namespace DopCompiler.Search.Curves;

/// <summary>
/// What a search's curves consist of: the parameters and every point to measure, in the one order shards are cut from.
/// <see cref="Entry"/> builds the cache entry from measured points, so a whole search and merged shards give the same
/// curves from the same values.
/// </summary>
internal sealed record CurvePlan(SearchSetup Setup, IReadOnlyList<PolicyParameter> Parameters, IReadOnlyList<CurvePointId> Points)
{
    public static CurvePlan Of(SearchSetup setup)
    {
        var modules = setup.Spec.Modules.Select(m => m == PrunableModule.Attention ? PolicyParameter.Attention : PolicyParameter.Mlp).ToArray();
        var parameters = CurveBuilder.Parameters(setup.Groups, modules);
        var imageGroup = setup.TokenCountGrid is null ? null : TokenCountPhase.ImageGroupName(setup.Groups);
        return new CurvePlan(setup, parameters, CurvePointId.All(parameters, setup.Layers, setup.Spec.Grid.Step, imageGroup, setup.TokenCountGrid));
    }

    /// <summary>The points of one shard, in plan order.</summary>
    public IReadOnlyList<CurvePointId> PointsOf(CurveShard shard) => Points.Where((_, k) => shard.Owns(k)).ToArray();

    /// <summary>The full cache entry from every point measured (and the validation set's mean layout).</summary>
    public CurveCacheEntry Entry(int samples, double[] meanSizes, double[] meanAlwaysKept, double[][]? covariance, IReadOnlyDictionary<CurvePointId, double> measured) => new()
    {
        Key = Setup.Inputs.CurveKey,
        ToolVersion = ToolVersion.Current,
        Layers = Setup.Layers,
        Samples = samples,
        MeanSizes = meanSizes,
        MeanAlwaysKept = meanAlwaysKept,
        LayoutCovariance = covariance,
        Curves = CurveBuilder.Assemble(Parameters, Setup.Layers, measured).ToList(),
        TokenCounts = Setup.TokenCountGrid is { } grid ? TokenCountPhase.Assemble(Setup.Groups, Setup.ImageTokens, grid, measured) : null,
    };
}
