using DopCompiler.Model.Pruning;
using DopCompiler.Search.Evaluation;

namespace DopCompiler.Search.Curves;

/// <summary>Measures each parameter's divergence curve alone (all others 0) on a grid of depths (§5).</summary>
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
        var layers = _context.Layers;
        var depths = GridDepths(layers, step);
        var total = parameters.Count * (depths.Length - 1);
        var done = 0;
        var curves = new List<DivergenceCurve>();
        foreach (var parameter in parameters)
        {
            var measured = new Dictionary<int, double> { [0] = 0 };
            foreach (var depth in depths.Skip(1))
            {
                progress.Step($"curve {parameter} depth {depth}", done++, total);
                measured[depth] = _evaluator.MeanKl(Single(parameter, depth), reusePrefix);
            }

            curves.Add(DivergenceCurve.FromMeasured(parameter.Module, parameter.Group, layers, measured));
        }

        progress.Step("curve", total, total);
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
