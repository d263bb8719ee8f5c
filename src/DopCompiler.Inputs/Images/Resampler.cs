namespace DopCompiler.Inputs.Images;

/// <summary>
/// PIL's 8-bit <c>Image.resize</c> (libImaging/Resample.c): separable, antialiased when shrinking, fixed-point
/// coefficients with 22 fraction bits, clipped to a byte after each pass, horizontal pass first.
/// </summary>
/// <remarks>Reproducing the fixed-point arithmetic keeps pixel values identical to what the Python processor feeds the model.</remarks>
internal static class Resampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Resize(RgbImage image, int width, int height, ResampleFilter filter)
    {
        // Same size: PIL returns a copy, no resampling.
        if (width == image.Width && height == image.Height)
        {
            return image;
        }

        var current = image;
        if (width != image.Width)
        {
            current = Horizontal(current, width, filter);
        }

        if (height != image.Height)
        {
            current = Vertical(current, height, filter);
        }

        return current;
    }

    private static RgbImage Horizontal(RgbImage image, int width, ResampleFilter filter)
    {
        var (bounds, weights, kernelSize) = Coefficients(image.Width, width, filter);
        var output = new byte[image.Height * width * 3];
        for (var y = 0; y < image.Height; y++)
        {
            var row = y * image.Width * 3;
            for (var x = 0; x < width; x++)
            {
                var (start, count) = bounds[x];
                for (var c = 0; c < 3; c++)
                {
                    var sum = 1 << (PrecisionBits - 1);
                    for (var i = 0; i < count; i++)
                    {
                        sum += image.Pixels[row + ((start + i) * 3) + c] * weights[(x * kernelSize) + i];
                    }

                    output[(((y * width) + x) * 3) + c] = Clip(sum);
                }
            }
        }

        return new RgbImage { Width = width, Height = image.Height, Pixels = output };
    }

    private static RgbImage Vertical(RgbImage image, int height, ResampleFilter filter)
    {
        var (bounds, weights, kernelSize) = Coefficients(image.Height, height, filter);
        var stride = image.Width * 3;
        var output = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var (start, count) = bounds[y];
            for (var x = 0; x < stride; x++)
            {
                var sum = 1 << (PrecisionBits - 1);
                for (var i = 0; i < count; i++)
                {
                    sum += image.Pixels[((start + i) * stride) + x] * weights[(y * kernelSize) + i];
                }

                output[(y * stride) + x] = Clip(sum);
            }
        }

        return new RgbImage { Width = image.Width, Height = height, Pixels = output };
    }

    private static byte Clip(int sum)
    {
        var value = sum >> PrecisionBits;
        return (byte)Math.Clamp(value, 0, 255);
    }

    /// <summary>PIL's <c>precompute_coeffs</c> followed by <c>normalize_coeffs_8bpc</c>.</summary>
    private static ((int Start, int Count)[] Bounds, int[] Weights, int KernelSize) Coefficients(int inSize, int outSize, ResampleFilter filter)
    {
        var support = filter == ResampleFilter.Bicubic ? 2.0 : 1.0;
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        var kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new (int, int)[outSize];
        var weights = new int[outSize * kernelSize];
        var k = new double[kernelSize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var inverse = 1.0 / filterScale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            var total = 0.0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Filter((x + xmin - center + 0.5) * inverse, filter);
                k[x] = w;
                total += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                var w = total != 0.0 ? k[x] / total : k[x];
                weights[(xx * kernelSize) + x] = (int)(w < 0 ? (w * (1 << PrecisionBits)) - 0.5 : (w * (1 << PrecisionBits)) + 0.5);
            }

            bounds[xx] = (xmin, xmax);
        }

        return (bounds, weights, kernelSize);
    }

    private static double Filter(double x, ResampleFilter filter)
    {
        if (filter == ResampleFilter.Bilinear)
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }

        // Keys' cubic with a = -0.5, as PIL.
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return (((a + 2.0) * x) - (a + 3.0)) * x * x + 1;
        }

        if (x < 2.0)
        {
            return (((((x - 5) * x) + 8) * x) - 4) * a;
        }

        return 0.0;
    }
}
