using DopCompiler.Model.Flops;

namespace DopCompiler.Search.Solving;

/// <summary>
/// The validation set's layouts as the pricing needs them: per group the mean token count and the mean always-kept
/// count, and how the samples vary around them (<see cref="LayoutCovariance"/>; null: one layout for every sample), so a
/// cost is the mean of the samples' costs (docs/spec.md, "Costs when prompts differ").
/// </summary>
public sealed record MeanLayout(IReadOnlyList<GroupDefinition> Groups, double[] Sizes, double[] AlwaysKept, double[][]? Covariance = null)
{
    public static MeanLayout Of(SearchContext context)
    {
        var groups = context.Groups;
        var perSample = context.Samples.Select(sample =>
        {
            var sizes = new double[groups.Count];
            var always = new double[groups.Count];
            for (var g = 0; g < groups.Count; g++)
            {
                var positions = sample.Layout.Groups[g].Positions;
                sizes[g] = positions.Length;
                always[g] = positions.Count(p => Array.BinarySearch(sample.Layout.AlwaysKept, p) >= 0);
            }

            return (sizes, always);
        }).ToArray();

        var n = Math.Max(1, perSample.Length);
        double[] Mean(Func<(double[] Sizes, double[] Always), double[]> pick) =>
            Enumerable.Range(0, groups.Count).Select(g => perSample.Sum(s => pick(s)[g]) / n).ToArray();
        return new MeanLayout(groups, Mean(s => s.Sizes), Mean(s => s.Always), LayoutCovariance.Of(perSample));
    }

    /// <summary>
    /// This layout with its groups replaced: every new group's size and always-kept count is a linear combination of the
    /// old ones (<paramref name="sizeMap"/>/<paramref name="alwaysMap"/>: one row per new group over the old groups), and
    /// the covariance follows (<see cref="LayoutCovariance.Transform"/>).
    /// </summary>
    public MeanLayout Mapped(IReadOnlyList<GroupDefinition> groups, double[][] sizeMap, double[][] alwaysMap)
    {
        var old = Groups.Count;
        double Apply(double[] row, double[] values) => row.Select((w, i) => w * values[i]).Sum();
        // Rows over the 2·old vector (sizes, always-kept): a size row reads sizes, an always-kept row reads always-kept counts.
        var map = sizeMap.Select(r => r.Concat(new double[old]).ToArray())
            .Concat(alwaysMap.Select(r => new double[old].Concat(r).ToArray())).ToArray();
        return new MeanLayout(groups, sizeMap.Select(r => Apply(r, Sizes)).ToArray(), alwaysMap.Select(r => Apply(r, AlwaysKept)).ToArray(),
            LayoutCovariance.Transform(Covariance, map));
    }
}
