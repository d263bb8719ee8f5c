namespace DopCompiler.Inputs.Images;

/// <summary>
/// An image ready for the vision tower: one tile (CLIP/SigLIP processors) or, for LLaVA-NeXT's anyres processing, the
/// whole image resized to the crop size followed by the best resolution's tiles in row-major order.
/// </summary>
public sealed record PreprocessedImage
{
    /// <summary>CHW float32 values, <c>[Count, 3, Height, Width]</c>.</summary>
    public required float[] Pixels { get; init; }

    /// <summary>Tiles, the base image included (1 for a plain processor).</summary>
    public required int Count { get; init; }

    /// <summary>One tile's height.</summary>
    public required int Height { get; init; }

    /// <summary>One tile's width.</summary>
    public required int Width { get; init; }

    /// <summary>The decoded image's height before any resize: transformers' <c>image_sizes[i][0]</c>.</summary>
    public required int ImageHeight { get; init; }

    /// <summary>The decoded image's width before any resize: transformers' <c>image_sizes[i][1]</c>.</summary>
    public required int ImageWidth { get; init; }

    /// <summary>Rows of tiles of the best resolution (0 for a plain processor).</summary>
    public int GridRows { get; init; }

    /// <summary>Columns of tiles of the best resolution (0 for a plain processor).</summary>
    public int GridColumns { get; init; }
}
