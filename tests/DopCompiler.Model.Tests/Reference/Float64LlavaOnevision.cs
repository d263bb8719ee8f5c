using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests.Reference;

/// <summary>
/// LLaVA-OneVision's image features in float64, written from modeling_llava_onevision.py (huggingface/transformers@03eac6f,
/// <c>pack_image_features</c>) without any of the main path's code: <see cref="Float64LlavaNext"/>'s tiles, grid and
/// <c>unpad_image</c> (the same steps in both models' code), then for <c>ratio = sqrt(h·w / (max·g²)) &gt; 1.1</c> a bilinear resize (align_corners False) to
/// <c>[int(h // ratio), int(w // ratio)]</c> written out here from PyTorch's upsample_bilinear2d index rule, one
/// <c>image_newline</c> after every row, base features first.
/// </summary>
public sealed class Float64LlavaOnevision
{
    private readonly Float64LlavaNext _next;
    private readonly TinyLlavaOptions _o;

    /// <param name="withoutNewline">Pack as transformers does with <c>image_newline=None</c> (the ablation).</param>
    public Float64LlavaOnevision(IReadOnlyDictionary<string, Tensor> tensors, TinyLlavaOptions options, bool withoutNewline = false)
    {
        _next = new Float64LlavaNext(tensors, options, withoutNewline);
        _o = options;
    }

    public Float64Llava Decoder => _next.Decoder;

    /// <summary>The packed image rows for tiles [count, 3, c, c] of an image of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public double[][] ImageRows(double[] tiles, int count, int height, int width)
    {
        var (baseRows, grid) = _next.UnpaddedGrid(tiles, count, height, width);
        int g = _o.ImageSize / _o.PatchSize, h = grid.Length, w = h == 0 ? 0 : grid[0].Length; // a sliver can unpad to no rows
        var max = int.Parse(_o.VisionAspectRatio!["anyres_max_".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var ratio = Math.Sqrt(h * w / (double)(max * g * g));
        if (ratio > 1.1)
        {
            grid = Bilinear(grid, (int)Math.Floor(h / ratio), (int)Math.Floor(w / ratio));
        }

        return _next.Pack(baseRows, grid);
    }

    /// <summary>
    /// Bilinear resize with align_corners False: output index o reads source <c>s = (in / out)·(o + 0.5) - 0.5</c>, below 0
    /// taken as 0, between <c>floor(s)</c> and the next index (the last one repeats), weighted by the fraction.
    /// </summary>
    private static double[][][] Bilinear(double[][][] source, int outHeight, int outWidth)
    {
        int inHeight = source.Length, inWidth = source[0].Length, d = source[0][0].Length;
        var result = new double[outHeight][][];
        for (var oy = 0; oy < outHeight; oy++)
        {
            var (y0, y1, fy) = Source(oy, inHeight, outHeight);
            result[oy] = new double[outWidth][];
            for (var ox = 0; ox < outWidth; ox++)
            {
                var (x0, x1, fx) = Source(ox, inWidth, outWidth);
                var cell = new double[d];
                for (var k = 0; k < d; k++)
                {
                    cell[k] = ((1 - fy) * (((1 - fx) * source[y0][x0][k]) + (fx * source[y0][x1][k])))
                        + (fy * (((1 - fx) * source[y1][x0][k]) + (fx * source[y1][x1][k])));
                }

                result[oy][ox] = cell;
            }
        }

        return result;
    }

    private static (int Low, int High, double Fraction) Source(int output, int inSize, int outSize)
    {
        var s = Math.Max(0.0, ((double)inSize / outSize * (output + 0.5)) - 0.5);
        var low = (int)s;
        return (low, Math.Min(low + 1, inSize - 1), s - low);
    }
}
