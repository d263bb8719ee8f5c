using DopCompiler.Model.Pruning;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Measures each parameter's divergence curve alone (all others 0) on a grid of depths (§5), point by point: the whole
/// search measures every point in one process, a shard (<see cref="CurveShard"/>) a subset, and
/// <see cref="Assemble"/> turns the measured points into curves the same way either way.
/// </summary>
public sealed class CurveBuilder
{
    private readonly SearchContext _context;
    private readonly PolicyEvaluator _evaluator;

    public CurveBuilder(SearchContext context, SearchStatistics statistics)
    {
        _context = context;
        _evaluator = new PolicyEvaluator(context, statistics);
    }

    /// <summary>The measured depths for a grid step: 0, step, 2·step, …, always including L.</summary>
    public static int[] GridDepths(int layers, int step)
    {
        var depths = new SortedSet<int> { 0, layers };
        for (var v = step; v < layers; v += step)
        {
            depths.Add(v);
        }

        return depths.ToArray();
    }

    /// <summary>The searchable parameters: every prunable group × every module the spec allows, module-major.</summary>
    public static IReadOnlyList<PolicyParameter> Parameters(IReadOnlyList<GroupDefinition> groups, IReadOnlyList<string> modules) =>
        modules.SelectMany(m => groups.Where(g => g.Prunable).Select(g => new PolicyParameter(m, g.Name))).ToArray();

    public IReadOnlyList<DivergenceCurve> Build(IReadOnlyList<PolicyParameter> parameters, int step, bool reusePrefix, ISearchProgress progress)
    {
        var points = CurvePointId.All(parameters, _context.Layers, step, imageGroup: null, tokenCounts: null);
        return Assemble(parameters, _context.Layers, Measure(points, reusePrefix, progress));
    }

    /// <summary>Measures <paramref name="points"/> in order (depth points with or without prefix reuse, n_v points as <see cref="TokenCountPhase"/>).</summary>
    public Dictionary<CurvePointId, double> Measure(IReadOnlyList<CurvePointId> points, bool reusePrefix, ISearchProgress progress)
    {
        var measured = new Dictionary<CurvePointId, double>();
        var imageTokens = _context.Model.Config.ImageTokensPerImage;
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            progress.Step(point.ToString(), i, points.Count);
            measured[point] = point.IsTokenCount
                ? TokenCountPhase.MeanKl(_evaluator, _context.Groups, point.Value, imageTokens, _context.Layers)
                : _evaluator.MeanKl(Single(new PolicyParameter(point.Module, point.Group), point.Value), reusePrefix);
        }

        progress.Step("curve", points.Count, points.Count);
        return measured;
    }

    /// <summary>The curves of <paramref name="parameters"/> from their measured points (every grid depth above 0 must be there).</summary>
    public static IReadOnlyList<DivergenceCurve> Assemble(IReadOnlyList<PolicyParameter> parameters, int layers, IReadOnlyDictionary<CurvePointId, double> measured)
    {
        var curves = new List<DivergenceCurve>(parameters.Count);
        foreach (var parameter in parameters)
        {
            var values = new Dictionary<int, double> { [0] = 0 };
            foreach (var (point, kl) in measured)
            {
                if (!point.IsTokenCount && point.Module == parameter.Module && point.Group == parameter.Group)
                {
                    values[point.Value] = kl;
                }
            }

            curves.Add(DivergenceCurve.FromMeasured(parameter.Module, parameter.Group, layers, values));
        }

        return curves;
    }

    /// <summary>The policy where only <paramref name="parameter"/> is non-zero.</summary>
    public static DepthPolicy Single(PolicyParameter parameter, int depth)
    {
        var values = new Dictionary<string, int> { [parameter.Group] = depth };
        var none = new Dictionary<string, int>();
        return parameter.IsAttention ? new DepthPolicy(values, none) : new DepthPolicy(none, values);
    }
}
