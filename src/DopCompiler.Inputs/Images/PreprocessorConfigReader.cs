using System.Text.Json;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Inputs.Images;

/// <summary>
/// Reads the CLIPImageProcessor or SiglipImageProcessor keys of a <c>preprocessor_config.json</c>; unknown keys are ignored.
/// </summary>
/// <remarks>
/// SiglipImageProcessor (<c>image_processor_type</c>) has other defaults and no crop step (image_processing_siglip.py:
/// <c>resample = PILImageResampling.BICUBIC</c>, <c>image_mean = IMAGENET_STANDARD_MEAN</c> (0.5),
/// <c>image_std = IMAGENET_STANDARD_STD</c> (0.5), <c>size = {"height": 224, "width": 224}</c>): it resizes to exactly
/// size.height × size.width, rescales and normalises; a <c>do_center_crop</c> key in its file is not one of its options.
/// </remarks>
internal static class PreprocessorConfigReader
{
    /// <summary>
    /// The largest resize target accepted, as a multiple of the vision tower's <c>image_size</c>: real configs resize to
    /// the crop size or a little above (256 for a 224 crop); a huge <c>size</c> would allocate gigabytes before the crop.
    /// </summary>
    public const int MaxResizeFactor = 4;

    /// <summary>
    /// The most tiles one <c>image_grid_pinpoints</c> entry may cut (besides the base image): real configs cut at most 6
    /// (LLaVA-v1.6's 1008 × 336 at 336) or 36 (OneVision's 6 × 6 at 384); a huge grid would allocate the padded image and
    /// every tile before the model could refuse it.
    /// </summary>
    public const int MaxTiles = 100;

    public static ImagePreprocessor Read(string json, string path, int? imageSize = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw Error(path, $"Invalid JSON: {e.Message}", (int)(e.LineNumber ?? -1) + 1, (int)(e.BytePositionInLine ?? -1) + 1);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "The preprocessor config must be a JSON object.");
            }

            var problems = new List<string>();
            var processorType = root.TryGetProperty("image_processor_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
            // LlavaOnevisionImageProcessor (image_processing_llava_onevision.py at huggingface/transformers@6e4c81d): SigLIP's
            // steps (exact resize to size {height, width}, default 384 × 384, no center crop) on every anyres tile, tiles of
            // size["height"] (get_image_patches(patch_size=size_tuple[0])), CLIP's mean/std when absent.
            var onevision = processorType is "LlavaOnevisionImageProcessor" or "LlavaOnevisionImageProcessorFast";
            var siglip = onevision || processorType is "SiglipImageProcessor" or "SiglipImageProcessorFast";
            // LlavaNextImageProcessor: CLIP's steps on every tile plus image_grid_pinpoints (its __init__ default below).
            var llavaNext = onevision || processorType is "LlavaNextImageProcessor" or "LlavaNextImageProcessorFast" || root.TryGetProperty("image_grid_pinpoints", out _);
            var pinpoints = llavaNext ? Pinpoints(root, problems, onevision) : null;
            var sizeValid = true;
            var shortestEdge = (int?)null;
            int? resizeHeight = null, resizeWidth = null;
            if (root.TryGetProperty("size", out var size))
            {
                switch (size.ValueKind)
                {
                    // An int `size` means the shortest edge, as CLIPImageProcessor's get_size_dict(default_to_square=False).
                    case JsonValueKind.Number:
                        shortestEdge = PositiveInt(size, "size", problems);
                        break;
                    case JsonValueKind.Object when size.TryGetProperty("shortest_edge", out var edge):
                        shortestEdge = PositiveInt(edge, "size.shortest_edge", problems);
                        break;
                    case JsonValueKind.Object when size.TryGetProperty("height", out var h) && size.TryGetProperty("width", out var w):
                        resizeHeight = PositiveInt(h, "size.height", problems);
                        resizeWidth = PositiveInt(w, "size.width", problems);
                        break;
                    default:
                        problems.Add("'size' must be an integer, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}.");
                        sizeValid = false;
                        break;
                }
            }

            int cropHeight = 224, cropWidth = 224;
            if (root.TryGetProperty("crop_size", out var crop))
            {
                switch (crop.ValueKind)
                {
                    case JsonValueKind.Number:
                        cropHeight = cropWidth = PositiveInt(crop, "crop_size", problems) ?? 224;
                        break;
                    case JsonValueKind.Object when crop.TryGetProperty("height", out var h) && crop.TryGetProperty("width", out var w):
                        cropHeight = PositiveInt(h, "crop_size.height", problems) ?? 224;
                        cropWidth = PositiveInt(w, "crop_size.width", problems) ?? 224;
                        break;
                    default:
                        problems.Add("'crop_size' must be an integer or {\"height\": h, \"width\": w}.");
                        break;
                }
            }

            var doResize = Bool(root, "do_resize", true, problems);
            if (doResize && sizeValid && shortestEdge is null && resizeHeight is null && resizeWidth is null)
            {
                // transformers' CLIP default is shortest_edge 224; SigLIP's is 224 × 224.
                if (siglip)
                {
                    resizeHeight = resizeWidth = onevision ? 384 : 224;
                }
                else
                {
                    shortestEdge = 224;
                }
            }

            if (siglip && shortestEdge is not null)
            {
                problems.Add("'size' of a SiglipImageProcessor must be {\"height\": h, \"width\": w} (it resizes to an exact size).");
            }

            var resample = ResampleFilter.Bicubic;
            if (root.TryGetProperty("resample", out var resampleElement))
            {
                if (resampleElement.ValueKind == JsonValueKind.Number && resampleElement.TryGetInt32(out var code) && code is 2 or 3)
                {
                    resample = (ResampleFilter)code;
                }
                else
                {
                    problems.Add($"'resample' {resampleElement.GetRawText()} is not supported: use 2 (bilinear) or 3 (bicubic).");
                }
            }

            var rescaleFactor = 1.0 / 255.0;
            if (root.TryGetProperty("rescale_factor", out var factor))
            {
                if (factor.ValueKind == JsonValueKind.Number && factor.GetDouble() is var f && f > 0 && double.IsFinite(f))
                {
                    rescaleFactor = f;
                }
                else
                {
                    problems.Add("'rescale_factor' must be a positive number.");
                }
            }

            var mean = Triple(root, "image_mean", siglip && !onevision ? ImagePreprocessor.StandardMean : ImagePreprocessor.ClipMean, problems, allowZero: true);
            var std = Triple(root, "image_std", siglip && !onevision ? ImagePreprocessor.StandardStd : ImagePreprocessor.ClipStd, problems, allowZero: false);
            // do_convert_rgb is read but not needed: decoding always yields RGB, which is what it asks for, and for
            // RGB inputs (the only ones a three-channel vision tower accepts) false and true give the same pixels.
            Bool(root, "do_convert_rgb", true, problems);

            var preprocessor = new ImagePreprocessor
            {
                DoResize = doResize,
                ShortestEdge = shortestEdge,
                ResizeHeight = resizeHeight,
                ResizeWidth = resizeWidth,
                DoCenterCrop = !siglip && Bool(root, "do_center_crop", true, problems),
                CropHeight = cropHeight,
                CropWidth = cropWidth,
                DoRescale = Bool(root, "do_rescale", true, problems),
                RescaleFactor = rescaleFactor,
                DoNormalize = Bool(root, "do_normalize", true, problems),
                ImageMean = mean,
                ImageStd = std,
                Resample = resample,
                GridPinpoints = pinpoints,
                AnyresTileSide = onevision ? resizeHeight ?? 384 : null,
            };

            if (problems.Count == 0)
            {
                CheckSizes(preprocessor, imageSize, problems);
            }

            if (problems.Count > 0)
            {
                throw new SpecException(problems.Select(p => SpecDiagnostic.At(SpecDiagnosticCodes.PreprocessorConfig, path, 0, 0, p)));
            }

            return preprocessor;
        }
    }

    /// <summary>
    /// Sizes are checked before any image is processed: every size at most <see cref="ImageFile.MaxSide"/>, and with the
    /// vision tower's <paramref name="imageSize"/> known, the output exactly that size and the resize target at most
    /// <see cref="MaxResizeFactor"/> times it.
    /// </summary>
    private static void CheckSizes(ImagePreprocessor p, int? imageSize, List<string> problems)
    {
        var resize = new[] { ("size.shortest_edge", p.ShortestEdge), ("size.height", p.ResizeHeight), ("size.width", p.ResizeWidth) };
        var limit = imageSize is { } s ? Math.Min(ImageFile.MaxSide, MaxResizeFactor * s) : ImageFile.MaxSide;
        foreach (var (name, value) in resize)
        {
            if (p.DoResize && value > limit)
            {
                problems.Add($"'{name}' is {value}; at most {limit} is accepted{(imageSize is null ? "" : $" ({MaxResizeFactor} × the vision tower's image_size {imageSize})")}.");
            }
        }

        if (p.DoCenterCrop && (p.CropHeight > ImageFile.MaxSide || p.CropWidth > ImageFile.MaxSide))
        {
            problems.Add($"'crop_size' is {p.CropHeight}×{p.CropWidth}; at most {ImageFile.MaxSide} on a side is accepted.");
        }

        if (p.GridPinpoints is { } pinpoints)
        {
            // divide_to_patches cuts crop_size["height"] squares; a pinpoint that is not a multiple of it leaves partial
            // tiles that the model's view(num_patch_height, num_patch_width, ...) cannot hold.
            if (p.AnyresTileSide is null && p.CropHeight != p.CropWidth)
            {
                problems.Add($"'crop_size' of a LlavaNextImageProcessor must be square (it tiles in crop_size.height squares), found {p.CropHeight}×{p.CropWidth}.");
            }

            // The base image is resized to size (height, width) and the tiles are size["height"] squares: a non-square size
            // gives tiles and a base image the tower would see at different sizes.
            if (p.AnyresTileSide is { } side && p.ResizeWidth != side)
            {
                problems.Add($"'size' of a LlavaOnevisionImageProcessor must be square (it tiles in size.height squares), found {side}×{p.ResizeWidth}.");
            }

            foreach (var (pinHeight, pinWidth) in pinpoints)
            {
                if (pinHeight % p.TileSide != 0 || pinWidth % p.TileSide != 0 || pinHeight > ImageFile.MaxSide || pinWidth > ImageFile.MaxSide
                    || (long)(pinHeight / p.TileSide) * (pinWidth / p.TileSide) > MaxTiles)
                {
                    problems.Add($"'image_grid_pinpoints' entry [{pinHeight}, {pinWidth}] must be multiples of {(p.AnyresTileSide is null ? "crop_size" : "size.height")} {p.TileSide}, at most {ImageFile.MaxSide} a side and {MaxTiles} tiles.");
                }
            }
        }

        if (problems.Count > 0 || imageSize is not { } size)
        {
            return;
        }

        // The output the vision tower sees: the crop, or a fixed resize; a shortest-edge resize without a crop keeps the aspect.
        var (height, width, what) = p.DoCenterCrop ? (p.CropHeight, p.CropWidth, "crop_size")
            : p.DoResize && p.ResizeHeight is { } h && p.ResizeWidth is { } w ? (h, w, "size")
            : p.DoResize && p.ShortestEdge is { } edge ? (edge, edge, "size.shortest_edge")
            : (size, size, "");
        if (height != size || width != size)
        {
            problems.Add($"'{what}' gives {height}×{width} images but the vision tower's image_size is {size} (config.json): the two must agree.");
        }
    }

    /// <summary>
    /// <c>image_grid_pinpoints</c>: a list of [height, width] pairs of positive integers; absent, LlavaNextImageProcessor's
    /// default <c>[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]</c> (image_processing_llava_next.py,
    /// <c>__init__</c>).
    /// </summary>
    /// <remarks>LlavaOnevisionImageProcessor's default is the 36 pinpoints 384·(1..6) × 384·(1..6), height-major.</remarks>
    private static (int Height, int Width)[] Pinpoints(JsonElement root, List<string> problems, bool onevision)
    {
        if (!root.TryGetProperty("image_grid_pinpoints", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return onevision
                ? Enumerable.Range(1, 6).SelectMany(h => Enumerable.Range(1, 6).Select(w => (384 * h, 384 * w))).ToArray()
                : [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)];
        }

        var result = new List<(int, int)>();
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0)
        {
            foreach (var pair in element.EnumerateArray())
            {
                if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
                    && pair[0].ValueKind == JsonValueKind.Number && pair[0].TryGetInt32(out var h) && h > 0
                    && pair[1].ValueKind == JsonValueKind.Number && pair[1].TryGetInt32(out var w) && w > 0)
                {
                    result.Add((h, w));
                }
                else
                {
                    problems.Add($"'image_grid_pinpoints' entries must be [height, width] pairs of positive integers, found {pair.GetRawText()}.");
                    return [];
                }
            }

            return result.ToArray();
        }

        problems.Add($"'image_grid_pinpoints' must be a non-empty list of [height, width] pairs, found {element.GetRawText()}.");
        return [];
    }

    private static SpecException Error(string path, string message, int line = 0, int column = 0) =>
        new(SpecDiagnostic.At(SpecDiagnosticCodes.PreprocessorConfig, path, Math.Max(line, 0), Math.Max(column, 0), message));

    private static int? PositiveInt(JsonElement element, string name, List<string> problems)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value) && value > 0)
        {
            return value;
        }

        problems.Add($"'{name}' must be a positive integer, found {element.GetRawText()}.");
        return null;
    }

    private static bool Bool(JsonElement root, string name, bool fallback, List<string> problems)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return element.GetBoolean();
        }

        problems.Add($"'{name}' must be true or false, found {element.GetRawText()}.");
        return fallback;
    }

    private static float[] Triple(JsonElement root, string name, float[] fallback, List<string> problems, bool allowZero)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 3
            && element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            // transformers casts mean and std to the image's dtype (float32) before normalising.
            var values = element.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            if (allowZero || values.All(v => v > 0))
            {
                return values;
            }
        }

        problems.Add($"'{name}' must be a list of three {(allowZero ? "numbers" : "positive numbers")}, found {element.GetRawText()}.");
        return fallback;
    }
}
