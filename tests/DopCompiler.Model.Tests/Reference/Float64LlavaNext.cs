using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests.Reference;

/// <summary>
/// LLaVA-NeXT's image features in float64, written from modeling_llava_next.py (huggingface/transformers@00dcc6dd)
/// without any of the main path's code: <see cref="Float64Llava"/>'s CLIP tower and projector on every tile, the
/// best resolution chosen as <c>select_best_resolution</c> does (Python's float steps, literally), the tiles' features
/// placed by grid coordinates, <c>unpad_image</c> with its float <c>int(round(x, 7))</c>, <c>image_newline</c> after
/// every kept row, base features first.
/// </summary>
public sealed class Float64LlavaNext
{
    private readonly Float64Llava _llava;
    private readonly TinyLlavaOptions _o;
    private readonly bool _withoutNewline;

    /// <param name="withoutNewline">Pack as transformers does with <c>image_newline=None</c> (the ablation).</param>
    public Float64LlavaNext(IReadOnlyDictionary<string, Tensor> tensors, TinyLlavaOptions options, bool withoutNewline = false)
    {
        _llava = new Float64Llava(tensors, options);
        _o = options;
        _withoutNewline = withoutNewline;
    }

    public Float64Llava Decoder => _llava;

    /// <summary>The packed image rows for tiles [count, 3, c, c] of an image of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public double[][] ImageRows(double[] tiles, int count, int height, int width)
    {
        var (baseRows, grid) = UnpaddedGrid(tiles, count, height, width);
        return Pack(baseRows, grid);
    }

    /// <summary>
    /// The base tile's feature rows and the tiles' features on their grid, unpadded to the image's aspect, as [y][x] →
    /// feature (what <c>pack_image_features</c> holds before the newline column).
    /// </summary>
    public (double[][] BaseRows, double[][][] Grid) UnpaddedGrid(double[] tiles, int count, int height, int width)
    {
        var c = _o.ImageSize;
        var plane = 3 * c * c;
        var features = Enumerable.Range(0, count).Select(t => _llava.ImageFeatures(tiles.AsSpan(t * plane, plane).ToArray())).ToArray();
        var (bestHeight, bestWidth) = SelectBestResolution(height, width, _o.GridPinpoints!);
        int tileRows = bestHeight / c, tileColumns = bestWidth / c;
        if (count != (tileRows * tileColumns) + 1)
        {
            throw new InvalidOperationException($"{count} tiles for a {tileRows}×{tileColumns} grid");
        }

        var g = c / _o.PatchSize;
        int gridHeight = tileRows * g, gridWidth = tileColumns * g;
        int top = 0, bottom = gridHeight, left = 0, right = gridWidth;
        // unpad_image: original_size is (height, width); the float comparison and int(round(..., 7)) as written there.
        var originalAspect = (double)width / height;
        var currentAspect = (double)gridWidth / gridHeight;
        if (originalAspect > currentAspect)
        {
            var scale = (double)gridWidth / width;
            var newHeight = (int)Math.Round(height * scale, 7);
            var padding = (gridHeight - newHeight) / 2;
            (top, bottom) = (padding, gridHeight - padding);
        }
        else
        {
            var scale = (double)gridHeight / height;
            var newWidth = (int)Math.Round(width * scale, 7);
            var padding = (gridWidth - newWidth) / 2;
            (left, right) = (padding, gridWidth - padding);
        }

        // Grid cell (y, x) is patch (y mod g, x mod g) of tile (y div g, x div g), tiles row-major after the base.
        var grid = Enumerable.Range(top, bottom - top)
            .Select(y => Enumerable.Range(left, right - left).Select(x => features[1 + ((y / g) * tileColumns) + (x / g)][((y % g) * g) + (x % g)]).ToArray())
            .ToArray();
        return (features[0], grid);
    }

    /// <summary>Base rows first, then the grid row by row with one <c>image_newline</c> after every row (none for the ablation).</summary>
    public double[][] Pack(double[][] baseRows, double[][][] grid)
    {
        var newline = _llava.Weight(_o.Naming == "new" ? "model.image_newline" : "image_newline");
        var rows = new List<double[]>(baseRows);
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

    /// <summary>image_processing_utils.py's select_best_resolution, statement by statement.</summary>
    public static (int Height, int Width) SelectBestResolution(int originalHeight, int originalWidth, IReadOnlyList<(int Height, int Width)> possible)
    {
        (int, int) bestFit = default;
        var maxEffective = 0L;
        var minWasted = double.PositiveInfinity;
        foreach (var (height, width) in possible)
        {
            var scale = Math.Min(width / (double)originalWidth, height / (double)originalHeight);
            long downscaledWidth = (long)(originalWidth * scale), downscaledHeight = (long)(originalHeight * scale);
            var effective = Math.Min(downscaledWidth * downscaledHeight, (long)originalWidth * originalHeight);
            var wasted = (width * height) - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted))
            {
                maxEffective = effective;
                minWasted = wasted;
                bestFit = (height, width);
            }
        }

        return bestFit;
    }
}
