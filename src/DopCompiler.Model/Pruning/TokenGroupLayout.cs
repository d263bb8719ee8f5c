using DopCompiler.Model.Modules;

namespace DopCompiler.Model.Pruning;

/// <summary>
/// One sample's prompt split into token groups. Every position belongs to exactly one group. Positions in
/// <see cref="AlwaysKept"/> (the last prompt position, teacher-forced answer tokens) run every operation whatever
/// the policy says, as the method requires.
/// </summary>
public sealed record TokenGroupLayout
{
    public required IReadOnlyList<TokenGroup> Groups { get; init; }

    public required int Length { get; init; }

    /// <summary>Sorted positions never pruned.</summary>
    public required int[] AlwaysKept { get; init; }

    /// <summary>
    /// The LLaVA layout: <c>system</c>, <c>image</c> (split into <c>image_key</c> / <c>image_rest</c> in the
    /// <paramref name="imageRanking"/> order of <see cref="ImageTokenOrder"/> when <paramref name="imageKeyFraction"/> is
    /// given) and <c>text</c>; the last <paramref name="alwaysKeptTail"/> positions (at least the last prompt position)
    /// are never pruned; <paramref name="imageGrid"/> places a tiled (anyres) image's tokens for the split's order (null: one tile).
    /// </summary>
    public static TokenGroupLayout ForLlava(PromptSegments segments, int alwaysKeptTail = 1, float[]? clsAttention = null,
        double? imageKeyFraction = null, bool textPrunable = false, bool systemPrunable = false, string imageRanking = ImageTokenOrder.ClsWord,
        ImageTokenGrid? imageGrid = null)
    {
        var groups = new List<TokenGroup>
        {
            new("system", Enumerable.Range(0, segments.SystemLength).ToArray(), systemPrunable),
        };
        var image = Enumerable.Range(segments.ImageStart, segments.ImageLength).ToArray();
        if (imageKeyFraction is { } fraction)
        {
            var keyCount = (int)Math.Round(fraction * segments.ImageLength, MidpointRounding.AwayFromZero);
            var ranked = ImageTokenOrder.Of(imageRanking, clsAttention ?? [], image.Length, imageGrid);
            var key = ranked.Take(keyCount).Select(i => image[i]).Order().ToArray();
            var rest = ranked.Skip(keyCount).Select(i => image[i]).Order().ToArray();
            groups.Add(new TokenGroup("image_key", key, true));
            groups.Add(new TokenGroup("image_rest", rest, true));
        }
        else
        {
            groups.Add(new TokenGroup("image", image, true));
        }

        groups.Add(new TokenGroup("text", Enumerable.Range(segments.TextStart, segments.TextLength).ToArray(), textPrunable));
        var tail = Math.Clamp(alwaysKeptTail, 1, segments.Length);
        return new TokenGroupLayout
        {
            Groups = groups,
            Length = segments.Length,
            AlwaysKept = Enumerable.Range(segments.Length - tail, tail).ToArray(),
        };
    }

    public int IndexOf(string group)
    {
        for (var i = 0; i < Groups.Count; i++)
        {
            if (Groups[i].Name == group)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether the groups are exactly <paramref name="names"/>, in this order (a policy or a generated class fits this layout).</summary>
    public bool HasGroups(IReadOnlyList<string> names) =>
        names.Count == Groups.Count && !names.Where((name, i) => name != Groups[i].Name).Any();

    /// <summary>Per position, the index of the group it belongs to.</summary>
    public int[] GroupOfPosition()
    {
        var groupOf = new int[Length];
        for (var g = 0; g < Groups.Count; g++)
        {
            foreach (var p in Groups[g].Positions)
            {
                groupOf[p] = g;
            }
        }

        return groupOf;
    }

    /// <summary>Per position, whether it is always kept (<see cref="AlwaysKept"/> as a mask).</summary>
    public bool[] AlwaysKeptMask()
    {
        var mask = new bool[Length];
        foreach (var p in AlwaysKept)
        {
            mask[p] = true;
        }

        return mask;
    }
}
