namespace DopCompiler.Search.Solving;

/// <summary>The validation set's mean layout: per group the mean token count and the mean always-kept count.</summary>
public sealed record MeanLayout(IReadOnlyList<GroupDefinition> Groups, double[] Sizes, double[] AlwaysKept)
{
    public static MeanLayout Of(SearchContext context)
    {
        var groups = context.Groups;
        var sizes = new double[groups.Count];
        var always = new double[groups.Count];
        foreach (var sample in context.Samples)
        {
            for (var g = 0; g < groups.Count; g++)
            {
                var positions = sample.Layout.Groups[g].Positions;
                sizes[g] += positions.Length;
                always[g] += positions.Count(p => Array.BinarySearch(sample.Layout.AlwaysKept, p) >= 0);
            }
        }

        var n = Math.Max(1, context.Samples.Count);
        return new MeanLayout(groups, sizes.Select(s => s / n).ToArray(), always.Select(a => a / n).ToArray());
    }
}
