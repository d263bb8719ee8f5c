using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Inputs.Images;

/// <summary>
/// Hugging Face's <c>CLIPImageProcessor</c> and <c>SiglipImageProcessor</c> in managed code: convert to RGB, resize
/// (shortest edge or exact size), center crop (CLIP only), rescale, normalise; output CHW float32. With
/// <see cref="GridPinpoints"/> set it is <c>LlavaNextImageProcessor</c> (anyres tiling, <see cref="Preprocess(RgbImage)"/>).
/// </summary>
/// <remarks>
/// Arithmetic follows the Python processor step by step (PIL 8-bit resize, float64 rescale cast to float32,
/// float32 normalise) so pixel values match it. An image that already has the target size is not resampled.
/// </remarks>
public sealed class ImagePreprocessor
{
    /// <summary>CLIP's mean, the processor's default.</summary>
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's standard deviation, the processor's default.</summary>
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>IMAGENET_STANDARD_MEAN, SiglipImageProcessor's default.</summary>
    public static readonly float[] StandardMean = [0.5f, 0.5f, 0.5f];

    /// <summary>IMAGENET_STANDARD_STD, SiglipImageProcessor's default.</summary>
    public static readonly float[] StandardStd = [0.5f, 0.5f, 0.5f];

    /// <summary>Resize target: the shortest edge (aspect kept) when set, otherwise <see cref="ResizeHeight"/>×<see cref="ResizeWidth"/>.</summary>
    public int? ShortestEdge { get; init; }

    public int? ResizeHeight { get; init; }

    public int? ResizeWidth { get; init; }

    public bool DoResize { get; init; } = true;

    public bool DoCenterCrop { get; init; } = true;

    public int CropHeight { get; init; } = 224;

    public int CropWidth { get; init; } = 224;

    public bool DoRescale { get; init; } = true;

    public double RescaleFactor { get; init; } = 1.0 / 255.0;

    public bool DoNormalize { get; init; } = true;

    public float[] ImageMean { get; init; } = ClipMean;

    public float[] ImageStd { get; init; } = ClipStd;

    public ResampleFilter Resample { get; init; } = ResampleFilter.Bicubic;

    /// <summary>
    /// LlavaNextImageProcessor's <c>image_grid_pinpoints</c> as (height, width); null for the single-tile processors.
    /// </summary>
    public IReadOnlyList<(int Height, int Width)>? GridPinpoints { get; init; }

    /// <summary>
    /// LlavaOnevisionImageProcessor's tile side, <c>size["height"]</c> (it has no crop); null for LLaVA-NeXT, which tiles
    /// in <c>crop_size["height"]</c> squares.
    /// </summary>
    public int? AnyresTileSide { get; init; }

    /// <summary>The side of the square anyres tiles (<c>divide_to_patches</c>' patch_size).</summary>
    public int TileSide => AnyresTileSide ?? CropHeight;

    /// <summary>LLaVA-NeXT's anyres tiling: <see cref="Preprocess(RgbImage)"/> gives several tiles per image.</summary>
    public bool IsAnyres => GridPinpoints is not null;

    /// <summary>Output height after the configured resize and crop, for an input already of the model's size.</summary>
    public int Height => DoCenterCrop ? CropHeight : ResizeHeight ?? ShortestEdge ?? CropHeight;

    /// <summary>Output width after the configured resize and crop, for an input already of the model's size.</summary>
    public int Width => DoCenterCrop ? CropWidth : ResizeWidth ?? ShortestEdge ?? CropWidth;

    /// <summary>Reads a <c>preprocessor_config.json</c>.</summary>
    /// <param name="preprocessorConfigPath">The file.</param>
    /// <param name="imageSize">The vision tower's <c>image_size</c>: the sizes are checked against it before anything is allocated.</param>
    /// <exception cref="SpecException">DOP025 when the file is missing, DOP036 when it is malformed, unsupported or its sizes do not fit <paramref name="imageSize"/>.</exception>
    public static ImagePreprocessor FromFile(string preprocessorConfigPath, int? imageSize = null)
    {
        if (!File.Exists(preprocessorConfigPath))
        {
            throw new SpecException(SpecDiagnostic.At(
                SpecDiagnosticCodes.FileNotFound, preprocessorConfigPath, 0, 0, "The preprocessor config does not exist."));
        }

        RegularFiles.Check(preprocessorConfigPath);
        return FromJson(File.ReadAllText(preprocessorConfigPath), preprocessorConfigPath, imageSize);
    }

    /// <summary>Parses the text of a <c>preprocessor_config.json</c>; <paramref name="path"/> names it in errors.</summary>
    public static ImagePreprocessor FromJson(string json, string path, int? imageSize = null) => PreprocessorConfigReader.Read(json, path, imageSize);

    /// <summary>
    /// Why this processor cannot feed a model whose config.json tiles images by <paramref name="modelPinpoints"/> (null: the
    /// model reads one tile) of type <paramref name="modelType"/>; null when it can. The processor tiles with its own
    /// pinpoints, the model places tiles by config.json's (as transformers does): two lists could agree on a tile count
    /// and still disagree on the grid's shape.
    /// </summary>
    public string? MismatchWith(IReadOnlyList<(int Height, int Width)>? modelPinpoints, string modelType)
    {
        if (IsAnyres != modelPinpoints is not null)
        {
            return modelPinpoints is not null
                ? $"config.json is model_type {modelType} (anyres tiles) but preprocessor_config.json has no image_grid_pinpoints (not a LlavaNextImageProcessor)"
                : $"preprocessor_config.json tiles images (image_grid_pinpoints) but config.json is model_type {modelType}, which reads one tile";
        }

        return modelPinpoints is not null && !modelPinpoints.SequenceEqual(GridPinpoints!)
            ? "preprocessor_config.json's image_grid_pinpoints differ from config.json's: the tiles would be placed on another grid than they were cut from"
            : null;
    }

    /// <summary>Decodes an image file and preprocesses it: CHW float32 <c>[3, Height, Width]</c>.</summary>
    /// <exception cref="SpecException">DOP033/DOP034/DOP035 for missing, undecodable or oversized images.</exception>
    public float[] ToPixelValues(string pngPath) => ToPixelValues(ImageFile.DecodeRgb(pngPath));

    /// <summary>Preprocesses decoded RGB pixels: CHW float32 <c>[3, H, W]</c> (H, W after resize and crop).</summary>
    /// <exception cref="InvalidOperationException">On an anyres processor, whose images are several tiles: use <see cref="Preprocess(RgbImage)"/>.</exception>
    public float[] ToPixelValues(RgbImage image) => IsAnyres
        ? throw new InvalidOperationException("an anyres (LLaVA-NeXT) image is several tiles: call Preprocess")
        : Tile(image);

    /// <summary>Decodes an image file and preprocesses it, one tile or (anyres) several.</summary>
    /// <exception cref="SpecException">DOP033/DOP034/DOP035 for missing, undecodable or oversized images.</exception>
    public PreprocessedImage Preprocess(string path) => Preprocess(ImageFile.DecodeRgb(path));

    /// <summary>
    /// Preprocesses decoded RGB pixels. Plain processors give one tile. Anyres (LlavaNextImageProcessor.preprocess and
    /// get_image_patches, image_processing_llava_next.py): the best resolution among <see cref="GridPinpoints"/>
    /// (<c>select_best_resolution</c>), the image resized into it keeping its aspect (<c>_resize_for_patching</c>, the size
    /// from <c>get_patch_output_size</c>), padded with zero bytes to the best resolution, the extra row or column on the
    /// bottom/right (<c>_pad_for_patching</c>: <c>paste_y, r_y = divmod(target_height - new_height, 2)</c>, padding
    /// <c>(paste_y, paste_y + r_y)</c>), cut into crop-height squares row by row (<c>divide_to_patches</c>); first of all
    /// the whole image resized to shortest_edge × shortest_edge (<c>resized_original_image</c>, aspect not kept). Each of
    /// these then goes through the CLIP steps (<c>_preprocess</c>: resize, center crop, rescale, normalise).
    /// </summary>
    public PreprocessedImage Preprocess(RgbImage image)
    {
        if (GridPinpoints is not { } pinpoints)
        {
            return new PreprocessedImage { Pixels = Tile(image), Count = 1, Height = Height, Width = Width, ImageHeight = image.Height, ImageWidth = image.Width };
        }

        var best = AnyresGeometry.SelectBestResolution(image.Height, image.Width, pinpoints);
        var (newHeight, newWidth) = AnyresGeometry.PatchOutputSize(image.Height, image.Width, best.Height, best.Width);
        var resized = Resampler.Resize(image, newWidth, newHeight, Resample);
        var padded = PadTo(resized, best.Height, best.Width);
        // divide_to_patches(padded_image, patch_size=crop_size["height"]) for LLaVA-NeXT, patch_size=size_tuple[0]
        // (size["height"]) for LLaVA-OneVision: square tiles.
        var tile = TileSide;
        var rows = best.Height / tile;
        var columns = best.Width / tile;
        // get_image_patches: size = (shortest_edge, shortest_edge), or min(height, width) of a height/width size.
        var baseSide = ShortestEdge ?? Math.Min(ResizeHeight ?? CropHeight, ResizeWidth ?? CropWidth);
        var tiles = new List<float[]> { Tile(Resampler.Resize(image, baseSide, baseSide, Resample)) };
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                tiles.Add(Tile(Crop(padded, r * tile, c * tile, tile, tile)));
            }
        }

        return new PreprocessedImage
        {
            Pixels = tiles.SelectMany(t => t).ToArray(),
            Count = tiles.Count,
            Height = Height,
            Width = Width,
            ImageHeight = image.Height,
            ImageWidth = image.Width,
            GridRows = rows,
            GridColumns = columns,
        };
    }

    /// <summary>Zero bytes around the image, centred with the odd pixel at the bottom/right (<c>_pad_for_patching</c>).</summary>
    private static RgbImage PadTo(RgbImage image, int height, int width)
    {
        if (image.Height == height && image.Width == width)
        {
            return image;
        }

        var top = (height - image.Height) / 2;
        var left = (width - image.Width) / 2;
        var output = new byte[height * width * 3];
        for (var y = 0; y < image.Height; y++)
        {
            Array.Copy(image.Pixels, y * image.Width * 3, output, (((y + top) * width) + left) * 3, image.Width * 3);
        }

        return new RgbImage { Width = width, Height = height, Pixels = output };
    }

    private static RgbImage Crop(RgbImage image, int top, int left, int height, int width)
    {
        var output = new byte[height * width * 3];
        for (var y = 0; y < height; y++)
        {
            Array.Copy(image.Pixels, (((top + y) * image.Width) + left) * 3, output, y * width * 3, width * 3);
        }

        return new RgbImage { Width = width, Height = height, Pixels = output };
    }

    /// <summary>The CLIP/SigLIP steps on one image: resize, crop, rescale, normalise; CHW float32.</summary>
    private float[] Tile(RgbImage image)
    {
        if (DoResize)
        {
            var (height, width) = ResizeTarget(image.Height, image.Width);
            image = Resampler.Resize(image, width, height, Resample);
        }

        if (DoCenterCrop)
        {
            image = CenterCrop(image, CropHeight, CropWidth);
        }

        var plane = image.Height * image.Width;
        var output = new float[3 * plane]; // [3, H, W]
        for (var c = 0; c < 3; c++)
        {
            var mean = ImageMean[c];
            var std = ImageStd[c];
            for (var i = 0; i < plane; i++)
            {
                float value = image.Pixels[(i * 3) + c];
                if (DoRescale)
                {
                    // transformers rescales in float64 and casts the result to float32.
                    value = (float)(image.Pixels[(i * 3) + c] * RescaleFactor);
                }

                if (DoNormalize)
                {
                    value = (value - mean) / std;
                }

                output[(c * plane) + i] = value;
            }
        }

        return output;
    }

    /// <summary>transformers' <c>get_resize_output_image_size</c> (default_to_square=False) or the exact size.</summary>
    private (int Height, int Width) ResizeTarget(int height, int width)
    {
        if (ShortestEdge is not { } edge)
        {
            return (ResizeHeight!.Value, ResizeWidth!.Value);
        }

        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        var newLong = (int)((long)edge * longSide / shortSide);
        return width <= height ? (newLong, edge) : (edge, newLong);
    }

    /// <summary>transformers' <c>center_crop</c>: offsets rounded down; zero padding where the crop exceeds the image.</summary>
    private static RgbImage CenterCrop(RgbImage image, int cropHeight, int cropWidth)
    {
        if (image.Height == cropHeight && image.Width == cropWidth)
        {
            return image;
        }

        var top = (image.Height - cropHeight) / 2;
        var left = (image.Width - cropWidth) / 2;
        if (image.Height < cropHeight || image.Width < cropWidth)
        {
            // transformers pads to max(crop, size) centred, then crops: the same as offsets computed on the padded image.
            var paddedHeight = Math.Max(cropHeight, image.Height);
            var paddedWidth = Math.Max(cropWidth, image.Width);
            var topPad = (paddedHeight - image.Height) / 2;
            var leftPad = (paddedWidth - image.Width) / 2;
            top = ((paddedHeight - cropHeight) / 2) - topPad;
            left = ((paddedWidth - cropWidth) / 2) - leftPad;
        }

        var output = new byte[cropHeight * cropWidth * 3];
        for (var y = 0; y < cropHeight; y++)
        {
            var sy = y + top;
            if (sy < 0 || sy >= image.Height)
            {
                continue;
            }

            for (var x = 0; x < cropWidth; x++)
            {
                var sx = x + left;
                if (sx < 0 || sx >= image.Width)
                {
                    continue;
                }

                Array.Copy(image.Pixels, ((sy * image.Width) + sx) * 3, output, ((y * cropWidth) + x) * 3, 3);
            }
        }

        return new RgbImage { Width = cropWidth, Height = cropHeight, Pixels = output };
    }
}
