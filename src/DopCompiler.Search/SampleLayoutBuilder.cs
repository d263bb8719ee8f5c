using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;

namespace DopCompiler.Search;

/// <summary>Resolves the spec's groups against one sample's prompt segments (per sample, since prompts differ).</summary>
public static class SampleLayoutBuilder
{
    /// <summary>
    /// Groups in prompt order; an image split takes its key tokens in its <see cref="GroupDefinition.Ranking"/> order.
    /// The last <paramref name="alwaysKeptTail"/> positions are never pruned. <paramref name="imageGrid"/> places a tiled
    /// (anyres) image's tokens for the <c>spread</c> order (null: one tile).
    /// </summary>
    public static TokenGroupLayout Build(IReadOnlyList<GroupDefinition> groups, PromptSegments segments, float[] clsAttention, int alwaysKeptTail,
        ImageTokenGrid? imageGrid = null)
    {
        var resolved = new List<TokenGroup>();
        var image = Enumerable.Range(segments.ImageStart, segments.ImageLength).ToArray();
        // Only a split needs the order (and, for the [CLS] order, one score per image token).
        var ranked = groups.FirstOrDefault(g => g.Source == "image_key") is { } key ? ImageTokenOrder.Of(key.Ranking, clsAttention, image.Length, imageGrid) : [];
        var imageTaken = 0;
        foreach (var group in groups)
        {
            int[] positions = group.Source switch
            {
                "system" => Enumerable.Range(0, segments.SystemLength).ToArray(),
                "text" => Enumerable.Range(segments.TextStart, segments.TextLength).ToArray(),
                "image" => image,
                "image_key" or "image_rest" => TakeRanked(group, ranked, image, ref imageTaken),
                _ => throw new ArgumentException($"unknown group source '{group.Source}'"),
            };
            resolved.Add(new TokenGroup(group.Name, positions, group.Prunable));
        }

        var tail = Math.Clamp(alwaysKeptTail, 1, segments.Length);
        return new TokenGroupLayout
        {
            Groups = resolved,
            Length = segments.Length,
            AlwaysKept = Enumerable.Range(segments.Length - tail, tail).ToArray(),
        };
    }

    private static int[] TakeRanked(GroupDefinition group, int[] ranked, int[] image, ref int taken)
    {
        var count = group.Source == "image_key"
            ? (int)Math.Round(group.ImageFraction * image.Length, MidpointRounding.AwayFromZero)
            : image.Length - taken;
        var positions = ranked.Skip(taken).Take(count).Select(i => image[i]).Order().ToArray();
        taken += count;
        return positions;
    }
}
