using DopCompiler.Model.Configuration;

namespace DopCompiler.Model.Pruning;

/// <summary>
/// Where an anyres image's tokens sit (LLaVA-NeXT / LLaVA-OneVision <c>pack_image_features</c>): first the base image's
/// <see cref="BaseSide"/>² features, then the packed tile grid of <see cref="Rows"/> × <see cref="Columns"/> features,
/// read row by row with one <c>image_newline</c> token after every row. What the <c>spread</c> order of a tiled image is
/// computed from (<see cref="ImageTokenOrder.Spread(ImageTokenGrid)"/>).
/// </summary>
public sealed record ImageTokenGrid(int BaseSide, int Rows, int Columns)
{
    /// <summary>Image tokens in the prompt: the base image, the grid, one newline per grid row.</summary>
    public int Count => (BaseSide * BaseSide) + (Rows * (Columns + 1));

    /// <summary>
    /// The grid of an image of <paramref name="imageHeight"/> × <paramref name="imageWidth"/> on an anyres model; null on a
    /// single-tile model, whose image tokens are one square patch grid (or a line).
    /// </summary>
    public static ImageTokenGrid? Of(ModelConfig config, int imageHeight, int imageWidth)
    {
        if (!config.IsAnyres)
        {
            return null;
        }

        var (rows, columns) = config.AnyresPackedGrid(imageHeight, imageWidth);
        return new ImageTokenGrid(config.Vision!.PatchesPerSide, rows, columns);
    }
}
