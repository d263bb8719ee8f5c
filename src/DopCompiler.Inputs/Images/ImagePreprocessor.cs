using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Inputs.Images;

/// <summary>
/// Hugging Face's <c>CLIPImageProcessor</c> and <c>SiglipImageProcessor</c> in managed code: convert to RGB, resize
/// (shortest edge or exact size), center crop (CLIP only), rescale, normalise; output CHW float32.
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

    /// <summary>Decodes an image file and preprocesses it: CHW float32 <c>[3, Height, Width]</c>.</summary>
    /// <exception cref="SpecException">DOP033/DOP034/DOP035 for missing, undecodable or oversized images.</exception>
    public float[] ToPixelValues(string pngPath) => ToPixelValues(ImageFile.DecodeRgb(pngPath));

    /// <summary>Preprocesses decoded RGB pixels: CHW float32 <c>[3, H, W]</c> (H, W after resize and crop).</summary>
    public float[] ToPixelValues(RgbImage image)
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
