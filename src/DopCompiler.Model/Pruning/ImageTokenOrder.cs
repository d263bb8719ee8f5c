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
        return side * side == count ? Spread(side, side) : Spread(1, count);
    }

    /// <summary>
    /// The coarse-to-fine order over a <paramref name="rows"/> × <paramref name="columns"/> grid read row by row: a cell's
    /// level is the largest k with both its row and its column divisible by 2^k; higher levels first, raster order within
    /// a level.
    /// </summary>
    public static int[] Spread(int rows, int columns)
    {
        int Level(int i)
        {
            var (row, col) = (i / columns, i % columns);
            var level = 0;
            while (level < 30 && row % (2 << level) == 0 && col % (2 << level) == 0)
            {
                level++;
            }

            return level;
        }

        return Enumerable.Range(0, rows * columns).OrderByDescending(Level).ThenBy(i => i).ToArray();
    }

    /// <summary>
    /// The <c>spread</c> order of a tiled (anyres) image: the base image's whole coarse view first (its square grid in
    /// <see cref="Spread(int, int)"/> order), then the packed tile grid's features coarse to fine over their own rows and
    /// columns, and the <c>image_newline</c> tokens last, top row first. Why: a prefix of any length then sees the whole
    /// image at the best resolution that length affords (the base view is the image at tile resolution, the tile grid
    /// refines it), and the newline tokens carry no image content, only the row structure of the fine grid.
    /// </summary>
    public static int[] Spread(ImageTokenGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var baseCount = grid.BaseSide * grid.BaseSide;
        var stride = grid.Columns + 1;
        var fine = Spread(grid.Rows, grid.Columns).Select(i => baseCount + (i / grid.Columns * stride) + (i % grid.Columns));
        var newlines = Enumerable.Range(0, grid.Rows).Select(r => baseCount + (r * stride) + grid.Columns);
        return [.. Spread(grid.BaseSide, grid.BaseSide), .. fine, .. newlines];
    }

    /// <summary>The order <paramref name="ranking"/> names (<see cref="ClsWord"/> or <see cref="SpreadWord"/>) for these scores.</summary>
    public static int[] Of(string ranking, float[] clsAttention, int count) => Of(ranking, clsAttention, count, grid: null);

    /// <summary>
    /// The order <paramref name="ranking"/> names for an image whose tokens lie on <paramref name="grid"/> (a tiled image;
    /// null: one tile). A tiled image has one [CLS] per tile and none for the packed grid, so it has no [CLS] order.
    /// </summary>
    public static int[] Of(string ranking, float[] clsAttention, int count, ImageTokenGrid? grid) => ranking switch
    {
        SpreadWord when grid is not null && grid.Count == count => Spread(grid),
        SpreadWord when grid is not null => throw new DopException(DiagnosticCodes.PromptLayout,
            $"the prompt holds {count} image tokens, but the image's tile grid packs {grid.Count}"),
        ClsWord when grid is not null => throw new DopException(DiagnosticCodes.ClsRanking,
            "a tiled (anyres) image has no single [CLS] attention over its tokens; rank its split with 'ranking: spread'"),
        SpreadWord => Spread(count),
        ClsWord when clsAttention.Length == count => ByClsAttention(clsAttention),
        ClsWord => throw new DopException(DiagnosticCodes.PromptLayout, "a [CLS]-ranked image split needs one [CLS] attention score per image token"),
        _ => throw new ArgumentException($"unknown image-token ranking '{ranking}'", nameof(ranking)),
    };
}
