using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests.Reference;

/// <summary>
/// LLaVA-OneVision's image features in float64, written from modeling_llava_onevision.py (huggingface/transformers@03eac6f,
/// <c>pack_image_features</c>) without any of the main path's code: <see cref="Float64Llava"/>'s SigLIP tower and projector
/// on every tile, the tiles' features placed by grid coordinates, <c>unpad_image</c> with its float <c>int(round(x, 7))</c>,
/// then for <c>ratio = sqrt(h·w / (max·g²)) &gt; 1.1</c> a bilinear resize (align_corners False) to
/// <c>[int(h // ratio), int(w // ratio)]</c> written out here from PyTorch's upsample_bilinear2d index rule, one
/// <c>image_newline</c> after every row, base features first.
/// </summary>
public sealed class Float64LlavaOnevision
{
    private readonly Float64Llava _llava;
    private readonly TinyLlavaOptions _o;
    private readonly bool _withoutNewline;

    /// <param name="withoutNewline">Pack as transformers does with <c>image_newline=None</c> (the ablation).</param>
    public Float64LlavaOnevision(IReadOnlyDictionary<string, Tensor> tensors, TinyLlavaOptions options, bool withoutNewline = false)
    {
        _llava = new Float64Llava(tensors, options);
        _o = options;
        _withoutNewline = withoutNewline;
    }

    public Float64Llava Decoder => _llava;

    /// <summary>The packed image rows for tiles [count, 3, c, c] of an image of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public double[][] ImageRows(double[] tiles, int count, int height, int width)
    {
        var c = _o.ImageSize;
        var plane = 3 * c * c;
        var features = Enumerable.Range(0, count).Select(t => _llava.ImageFeatures(tiles.AsSpan(t * plane, plane).ToArray())).ToArray();
        var (bestHeight, bestWidth) = Float64LlavaNext.SelectBestResolution(height, width, _o.GridPinpoints!);
        int tileRows = bestHeight / c, tileColumns = bestWidth / c;
        if (count != (tileRows * tileColumns) + 1)
        {
            throw new InvalidOperationException($"{count} tiles for a {tileRows}×{tileColumns} grid");
        }

        var g = c / _o.PatchSize;
        int gridHeight = tileRows * g, gridWidth = tileColumns * g;
        int top = 0, bottom = gridHeight, left = 0, right = gridWidth;
        if ((double)width / height > (double)gridWidth / gridHeight)
        {
            var newHeight = (int)Math.Round(height * ((double)gridWidth / width), 7);
            var padding = (gridHeight - newHeight) / 2;
            (top, bottom) = (padding, gridHeight - padding);
        }
        else
        {
            var newWidth = (int)Math.Round(width * ((double)gridHeight / height), 7);
            var padding = (gridWidth - newWidth) / 2;
            (left, right) = (padding, gridWidth - padding);
        }

        // The unpadded grid as [y][x] -> feature row.
        int h = bottom - top, w = right - left;
        var grid = new double[h][][];
        for (var y = 0; y < h; y++)
        {
            grid[y] = new double[w][];
            for (var x = 0; x < w; x++)
            {
                int gy = y + top, gx = x + left;
                grid[y][x] = features[1 + ((gy / g) * tileColumns) + (gx / g)][((gy % g) * g) + (gx % g)];
            }
        }

        var max = int.Parse(_o.VisionAspectRatio!["anyres_max_".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var ratio = Math.Sqrt(h * w / (double)(max * g * g));
        if (ratio > 1.1)
        {
            grid = Bilinear(grid, (int)Math.Floor(h / ratio), (int)Math.Floor(w / ratio));
        }

        var newline = _llava.Weight(_o.Naming == "new" ? "model.image_newline" : "image_newline");
        var rows = new List<double[]>(features[0]);
        foreach (var line in grid)
        {
            rows.AddRange(line);
            if (!_withoutNewline)
            {
                rows.Add(newline);
            }
        }

        return rows.ToArray();
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
