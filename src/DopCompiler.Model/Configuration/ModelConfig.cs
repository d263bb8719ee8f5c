namespace DopCompiler.Model.Configuration;

/// <summary>
/// A checkpoint's architecture: a LLaVA model (CLIP or SigLIP tower, two-layer projector, LLaMA, Mistral or Qwen2
/// decoder), a LLaVA-NeXT model (anyres tiles, <see cref="ImageGridPinpoints"/>) or a plain LLaMA/Qwen2 decoder
/// (<see cref="Vision"/> null). Read by <see cref="ModelConfigReader"/>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>llava</c>, <c>llava_next</c>, <c>llava_onevision</c>, <c>llama</c> or <c>qwen2</c>.</summary>
    public required string ModelType { get; init; }

    public required TextConfig Text { get; init; }

    public VisionConfig? Vision { get; init; }

    /// <summary>Token id of <c>&lt;image&gt;</c> in prompts (LLaVA only; -1 for plain decoders).</summary>
    public int ImageTokenIndex { get; init; } = -1;

    /// <summary>Index into the vision tower's hidden states (0 = embeddings; negative counts from the end).</summary>
    public int VisionFeatureLayer { get; init; } = -2;

    public FeatureSelectStrategy FeatureSelectStrategy { get; init; } = FeatureSelectStrategy.Default;

    /// <summary>Activation between the projector's two linear layers (<c>gelu</c> in LLaVA-1.5).</summary>
    public string ProjectorHiddenAct { get; init; } = "gelu";

    /// <summary>
    /// LLaVA-NeXT's <c>image_grid_pinpoints</c> as (height, width), each a multiple of the tower's image_size; null for
    /// the single-tile layouts.
    /// </summary>
    public IReadOnlyList<(int Height, int Width)>? ImageGridPinpoints { get; init; }

    /// <summary>LLaVA-NeXT: an image is several tiles and its token count depends on its size (<see cref="AnyresImageTokens"/>).</summary>
    public bool IsAnyres => ImageGridPinpoints is not null;

    /// <summary>
    /// LLaVA-OneVision's <c>vision_aspect_ratio</c> <c>anyres_max_N</c> as N: an unpadded feature grid of more than about
    /// N tiles' worth of patches is shrunk (<see cref="AnyresPackedGrid"/>). Null for LLaVA-NeXT, which never shrinks.
    /// </summary>
    public int? AnyresMaxPatches { get; init; }

    /// <summary>Vision layers actually run: hidden state <see cref="VisionFeatureLayer"/> needs no deeper layer.</summary>
    public int VisionLayersUsed => Vision is null ? 0
        : VisionFeatureLayer < 0 ? Vision.NumLayers + 1 + VisionFeatureLayer : VisionFeatureLayer;

    /// <summary>
    /// Image tokens per image in the decoder's prompt: the tower's sequence ([CLS] + patches for CLIP, patches alone for
    /// SigLIP) less its first row under <c>default</c>. LLaVA slices <c>[:, 1:]</c> whatever the tower
    /// (modeling_llava.py, <c>get_image_features</c>: <c>if vision_feature_select_strategy == "default":
    /// selected_image_feature = selected_image_feature[:, 1:]</c>), so on SigLIP <c>default</c> drops the first patch.
    /// </summary>
    /// On LLaVA-NeXT this is one tile's count (the base image's); the image's total is <see cref="AnyresImageTokens"/>.
    public int ImageTokensPerImage => Vision is null ? 0
        : Vision.NumPatches + (Vision.HasClassToken ? 1 : 0) - (FeatureSelectStrategy == FeatureSelectStrategy.Default ? 1 : 0);

    /// <summary>
    /// Tiles per column and per row of the best resolution for an image of <paramref name="height"/> ×
    /// <paramref name="width"/>: modeling_llava_next.py's <c>get_anyres_image_grid_shape(image_sizes[i],
    /// image_grid_pinpoints, vision_config.image_size)</c> = <c>select_best_resolution</c>'s (height, width) floor-divided
    /// by image_size.
    /// </summary>
    public (int Rows, int Columns) AnyresGrid(int height, int width)
    {
        var (pinpoints, side) = AnyresShape();
        var best = AnyresGeometry.SelectBestResolution(height, width, pinpoints);
        return (best.Height / side, best.Width / side);
    }

    /// <summary>
    /// The image tokens LLaVA-NeXT puts in the prompt for an image of <paramref name="height"/> × <paramref name="width"/>
    /// (before any resize): the base tile's g² features (g = image_size / patch_size), then the tiles' features on their
    /// (rows·g) × (columns·g) grid, unpadded to the image's aspect (<c>unpad_image</c>) with one <c>image_newline</c> at the
    /// end of every row (<c>pack_image_features</c>). This is what the HF processor's <c>_get_number_of_features</c>
    /// counts (less the one it drops for <c>default</c>), computed the way the model packs the features.
    /// </summary>
    public int AnyresImageTokens(int height, int width)
    {
        var g = Vision!.PatchesPerSide;
        var (rows, columns) = AnyresPackedGrid(height, width);
        return (g * g) + (rows * (columns + 1));
    }

    /// <summary>
    /// The feature grid that gets packed (before the newline column) for an image of <paramref name="height"/> ×
    /// <paramref name="width"/>: the tiles' (rows·g) × (columns·g) patches unpadded to the image's aspect
    /// (<see cref="AnyresGeometry.Unpad"/>), then for LLaVA-OneVision shrunk when large. modeling_llava_onevision.py
    /// <c>pack_image_features</c> (huggingface/transformers@03eac6f): <c>ratio = math.sqrt(curr_height * curr_width /
    /// (max_num_patches * height**2))</c> with <c>height</c> = g; <c>if ratio &gt; 1.1</c> the grid is interpolated
    /// (bilinear) to <c>[int(curr_height // ratio), int(curr_width // ratio)]</c>: Python's float floor division
    /// (<see cref="PythonFloorDivide"/>). The processor counts the same (processing_llava_onevision.py,
    /// <c>_get_unpadded_features</c>: <c>unpadded_features = int(current_height // ratio) * int(current_width // ratio)</c>,
    /// <c>newline_features = int(current_height // ratio)</c>).
    /// </summary>
    public (int Rows, int Columns) AnyresPackedGrid(int height, int width)
    {
        var g = Vision!.PatchesPerSide;
        var (rows, columns) = AnyresGrid(height, width);
        var (_, keptRows, _, keptColumns) = AnyresGeometry.Unpad(height, width, rows * g, columns * g);
        if (AnyresMaxPatches is { } max)
        {
            var ratio = Math.Sqrt((double)keptRows * keptColumns / ((double)max * g * g));
            if (ratio > 1.1)
            {
                return ((int)PythonFloorDivide(keptRows, ratio), (int)PythonFloorDivide(keptColumns, ratio));
            }
        }

        return (keptRows, keptColumns);
    }

    /// <summary>
    /// CPython's <c>float_floor_div</c> for positive operands (floatobject.c, <c>_float_div_mod</c>): <c>mod = fmod(a, b)</c>
    /// (exact), <c>div = (a - mod) / b</c>, <c>floor(div)</c> plus one when <c>div - floor(div) &gt; 0.5</c>. This is the floor
    /// of the exact quotient even where <c>a / b</c> rounds up to an integer, which <c>Math.Floor(a / b)</c> would not be.
    /// </summary>
    private static double PythonFloorDivide(double a, double b)
    {
        var mod = a % b; // C#'s % on doubles is C's fmod
        var div = (a - mod) / b;
        var floor = Math.Floor(div);
        return div - floor > 0.5 ? floor + 1.0 : floor;
    }

    private (IReadOnlyList<(int Height, int Width)> Pinpoints, int Side) AnyresShape() =>
        ImageGridPinpoints is { } pinpoints && Vision is { } vision
            ? (pinpoints, vision.ImageSize)
            : throw new InvalidOperationException($"model_type {ModelType} has no anyres tiling");
}
