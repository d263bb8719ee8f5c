using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;

namespace DopCompiler.Search.Solving;

/// <summary>
/// How an image-token count n_v is expressed with the groups every other part already understands: the image group
/// becomes a <c>_key</c> group of the first n_v tokens in the group's ranking order ([CLS] attention or spread), which takes the image group's depths, and a <c>_rest</c>
/// group pruned in every layer, which the execution plan therefore drops before layer 0. The policy file, the
/// generated class and <c>dop eval</c> need nothing new for it.
/// </summary>
public static class ImageTokenSplit
{
    /// <summary>The index of the (unsplit) image group, or −1.</summary>
    public static int ImageGroupIndex(IReadOnlyList<GroupDefinition> groups) =>
        groups.Select((g, i) => (g, i)).FirstOrDefault(x => x.g.Source == "image", (null!, -1)).Item2;

    /// <summary>The groups with the image group split into its top <paramref name="count"/> of <paramref name="total"/> tokens and the rest.</summary>
    public static IReadOnlyList<GroupDefinition> Groups(IReadOnlyList<GroupDefinition> groups, int count, int total)
    {
        var image = ImageGroupIndex(groups);
        if (image < 0 || count >= total)
        {
            return groups;
        }

        var fraction = (double)count / total;
        var (name, ranking) = (groups[image].Name, groups[image].Ranking);
        return [.. groups.Take(image),
            new GroupDefinition(name + "_key", "image_key", true, fraction, ranking),
            new GroupDefinition(name + "_rest", "image_rest", true, 1 - fraction, ranking),
            .. groups.Skip(image + 1)];
    }

    /// <summary>A depth policy over the base groups, restated over the split groups: the key group takes the image depths, the rest is pruned everywhere.</summary>
    public static DepthPolicy Policy(DepthPolicy policy, IReadOnlyList<GroupDefinition> groups, int count, int total, int layers)
    {
        var image = ImageGroupIndex(groups);
        if (image < 0 || count >= total)
        {
            return policy;
        }

        var name = groups[image].Name;
        Dictionary<string, int> Split(IReadOnlyDictionary<string, int> depths)
        {
            var result = depths.Where(d => d.Key != name).ToDictionary(d => d.Key, d => d.Value);
            result[name + "_key"] = depths.GetValueOrDefault(name);
            result[name + "_rest"] = layers;
            return result;
        }

        return new DepthPolicy(Split(policy.AttentionDepth), Split(policy.MlpDepth));
    }

    /// <summary>The mean layout with the image group's tokens split the same way (the rest group is never run, but its size is recorded).</summary>
    public static MeanLayout Layout(MeanLayout layout, IReadOnlyList<GroupDefinition> splitGroups, int count, int total)
    {
        var image = ImageGroupIndex(layout.Groups);
        if (image < 0 || count >= total)
        {
            return layout;
        }

        // The key group holds count/total of the image tokens, the rest the others; neither has always-kept tokens.
        var share = (double)count / total;
        var groups = layout.Groups.Count;
        var before = Enumerable.Range(0, image).Select(g => Unit(groups, g, 1)).ToArray();
        var after = Enumerable.Range(image + 1, groups - image - 1).Select(g => Unit(groups, g, 1)).ToArray();
        double[][] sizeMap = [.. before, Unit(groups, image, share), Unit(groups, image, 1 - share), .. after];
        double[][] alwaysMap = [.. before, new double[groups], new double[groups], .. after];
        return layout.Mapped(splitGroups, sizeMap, alwaysMap);
    }

    /// <summary>The layout over the base groups when only <paramref name="count"/> of <paramref name="total"/> image tokens enter the decoder.</summary>
    public static MeanLayout ScaledLayout(MeanLayout layout, int count, int total)
    {
        var image = ImageGroupIndex(layout.Groups);
        if (image < 0 || count >= total)
        {
            return layout;
        }

        var groups = layout.Groups.Count;
        var sizeMap = Enumerable.Range(0, groups).Select(g => Unit(groups, g, g == image ? (double)count / total : 1)).ToArray();
        var alwaysMap = Enumerable.Range(0, groups).Select(g => Unit(groups, g, 1)).ToArray();
        return layout.Mapped(layout.Groups, sizeMap, alwaysMap);
    }

    /// <summary>The curves as a split document states them: the image group's curves apply to its kept (key) tokens.</summary>
    public static IReadOnlyList<DivergenceCurve> Curves(IReadOnlyList<DivergenceCurve> curves, IReadOnlyList<GroupDefinition> groups, int count, int total)
    {
        var image = ImageGroupIndex(groups);
        if (image < 0 || count >= total)
        {
            return curves;
        }

        var name = groups[image].Name;
        return curves.Select(c => c.Group == name ? c with { Group = name + "_key" } : c).ToArray();
    }

    /// <summary>A row of a <see cref="MeanLayout.Mapped"/> map: <paramref name="weight"/> times group <paramref name="g"/> of <paramref name="groups"/>.</summary>
    private static double[] Unit(int groups, int g, double weight) => Enumerable.Range(0, groups).Select(i => i == g ? weight : 0).ToArray();
}
