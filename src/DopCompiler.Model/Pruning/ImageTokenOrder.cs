namespace DopCompiler.Model.Pruning;

/// <summary>
/// The orders in which an image split (<c>cls_split</c>, <c>n_v</c>) takes image tokens into its key group: by the vision
/// encoder's [CLS] attention, or spread out over the patch grid. Both return token indices (0-based within the image),
/// most important first; the split takes a prefix.
/// </summary>
public static class ImageTokenOrder
{
    /// <summary>The word for the [CLS]-attention order in specs and policy files (the default).</summary>
    public const string ClsWord = "cls";

    /// <summary>The word for the spread-out order in specs and policy files.</summary>
    public const string SpreadWord = "spread";

    /// <summary>Highest [CLS] attention first; ties by position, so the order is deterministic.</summary>
    public static int[] ByClsAttention(float[] clsAttention) =>
        Enumerable.Range(0, clsAttention.Length).OrderByDescending(i => clsAttention[i]).ThenBy(i => i).ToArray();

    /// <summary>
    /// Coarse to fine over the square patch grid: first the patches on the coarsest power-of-two lattice that fits
    /// (rows and columns divisible by 2^k), then each finer lattice's new patches, each level in raster order; a token
    /// count that is not a square is ordered as a line the same way. Why: when every patch carries the content of its
    /// neighbourhood (as on the sample model, where a grid cell is 2×2 patches), any prefix covers the whole image
    /// evenly, which the encoder's [CLS] attention does not promise (LLaVA never trains the [CLS] output) — e.g. the
    /// first 36 of a 12×12 grid are one patch per 2×2 block. Independent of the image, so it costs nothing to compute.
    /// </summary>
    public static int[] Spread(int count)
    {
        var side = (int)Math.Round(Math.Sqrt(count));
        var square = side * side == count;
        int Level(int i)
        {
            var (row, col) = square ? (i / side, i % side) : (0, i);
            var level = 0;
            while (level < 30 && row % (2 << level) == 0 && col % (2 << level) == 0)
            {
                level++;
            }

            return level;
        }

        return Enumerable.Range(0, count).OrderByDescending(Level).ThenBy(i => i).ToArray();
    }

    /// <summary>The order <paramref name="ranking"/> names (<see cref="ClsWord"/> or <see cref="SpreadWord"/>) for these scores.</summary>
    public static int[] Of(string ranking, float[] clsAttention, int count) => ranking switch
    {
        SpreadWord => Spread(count),
        ClsWord when clsAttention.Length == count => ByClsAttention(clsAttention),
        ClsWord => throw new DopException(DiagnosticCodes.PromptLayout, "a [CLS]-ranked image split needs one [CLS] attention score per image token"),
        _ => throw new ArgumentException($"unknown image-token ranking '{ranking}'", nameof(ranking)),
    };
}
