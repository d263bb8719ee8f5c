namespace DopCompiler;

/// <summary>
/// The integer geometry of LLaVA-NeXT's "anyres" tiling, shared by the image processor (DopCompiler.Inputs) and the
/// model (DopCompiler.Model): a linked file, as <see cref="InputFile"/>, because the two projects do not reference each
/// other. Sizes are (height, width) throughout, as transformers passes them.
/// </summary>
/// <remarks>
/// Sources (huggingface/transformers): <c>select_best_resolution</c> and <c>get_patch_output_size</c> in
/// image_processing_utils.py; <c>unpad_image</c> in models/llava_next/modeling_llava_next.py (commit 00dcc6dd);
/// <c>_get_unpadded_features</c> in models/llava_next/processing_llava_next.py.
/// </remarks>
internal static class AnyresGeometry
{
    /// <summary>
    /// <c>select_best_resolution(original_size, possible_resolutions)</c>, line for line in double arithmetic (Python's
    /// floats are IEEE doubles, so every quotient and product rounds the same): for each pinpoint (height, width),
    /// <c>scale = min(width / original_width, height / original_height)</c>; <c>downscaled_* = int(original_* * scale)</c>
    /// (truncation); <c>effective = min(downscaled_width * downscaled_height, original_width * original_height)</c>;
    /// <c>wasted = width * height - effective</c>. The first pinpoint with the largest effective resolution wins, and among
    /// equal effective resolutions the one with strictly less waste (<c>effective == max and wasted &lt; min_wasted</c>),
    /// so a later pinpoint with the same effective and waste never replaces an earlier one. Even a sliver that every
    /// pinpoint scales to zero pixels on a side gets one: effective 0 ties the initial maximum and any waste beats the
    /// initial infinity, so the first pinpoint with the least area wins.
    /// </summary>
    public static (int Height, int Width) SelectBestResolution(int originalHeight, int originalWidth, IReadOnlyList<(int Height, int Width)> pinpoints)
    {
        (int Height, int Width) best = (0, 0);
        long maxEffective = 0;
        var minWasted = double.PositiveInfinity;
        foreach (var (height, width) in pinpoints)
        {
            var scale = Math.Min((double)width / originalWidth, (double)height / originalHeight);
            var downscaledWidth = (long)(originalWidth * scale);
            var downscaledHeight = (long)(originalHeight * scale);
            var effective = Math.Min(downscaledWidth * downscaledHeight, (long)originalWidth * originalHeight);
            var wasted = ((long)width * height) - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted))
            {
                maxEffective = effective;
                minWasted = wasted;
                best = (height, width);
            }
        }

        return best;
    }

    /// <summary>
    /// <c>get_patch_output_size(image, target_resolution)</c>: the aspect-preserving size inside the target. With
    /// <c>scale_w = target_width / original_width</c> and <c>scale_h = target_height / original_height</c>: when
    /// <c>scale_w &lt; scale_h</c> the width fills the target and <c>new_height = min(math.ceil(original_height * scale_w),
    /// target_height)</c>; otherwise (ties included) the height fills and <c>new_width = min(math.ceil(original_width *
    /// scale_h), target_width)</c>. Rounded up (ceil) on the double product, as the source does.
    /// </summary>
    public static (int Height, int Width) PatchOutputSize(int originalHeight, int originalWidth, int targetHeight, int targetWidth)
    {
        var scaleW = (double)targetWidth / originalWidth;
        var scaleH = (double)targetHeight / originalHeight;
        return scaleW < scaleH
            ? ((int)Math.Min(Math.Ceiling(originalHeight * scaleW), targetHeight), targetWidth)
            : (targetHeight, (int)Math.Min(Math.Ceiling(originalWidth * scaleH), targetWidth));
    }

    /// <summary>
    /// <c>unpad_image(tensor, original_size)</c> on a feature grid of <paramref name="currentHeight"/> ×
    /// <paramref name="currentWidth"/>: the rows (or columns) that survive, as (first row, row count, first column,
    /// column count). When <c>original_width / original_height &gt; current_width / current_height</c> (compared here
    /// exactly by cross-multiplying: two distinct ratios of integers below 2^24 never round to the same double, and equal
    /// ones always do), <c>new_height = int(round(original_height * (current_width / original_width), 7))</c>,
    /// <c>padding = (current_height - new_height) // 2</c>, rows <c>[padding, current_height - padding)</c>; otherwise
    /// the same on the width. <c>int(round(x, 7))</c> is the floor of the exact quotient
    /// <c>original_height * current_width / original_width</c>: the rounding to 7 decimals only undoes the double's
    /// error when the exact value is an integer (a true fraction with a denominator below 10^7 is at least 1e-7 away from
    /// the next integer, so it is never rounded up), and the integer division computes that floor without error.
    /// </summary>
    public static (int Top, int Rows, int Left, int Columns) Unpad(int originalHeight, int originalWidth, int currentHeight, int currentWidth)
    {
        if ((long)originalWidth * currentHeight > (long)currentWidth * originalHeight)
        {
            var newHeight = (int)((long)originalHeight * currentWidth / originalWidth);
            var padding = (currentHeight - newHeight) / 2; // Python's // on a non-negative difference
            return (padding, currentHeight - (2 * padding), 0, currentWidth);
        }

        var newWidth = (int)((long)originalWidth * currentHeight / originalHeight);
        var pad = (currentWidth - newWidth) / 2;
        return (0, currentHeight, pad, currentWidth - (2 * pad));
    }
}
