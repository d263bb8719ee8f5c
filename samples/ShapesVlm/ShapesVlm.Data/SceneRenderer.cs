using SkiaSharp;

namespace ShapesVlm.Data;

/// <summary>Draws a <see cref="Scene"/> with SkiaSharp's CPU rasteriser (anti-aliased, deterministic for a given Skia build).</summary>
public static class SceneRenderer
{
    /// <summary>Bytes in one rendered image: height × width × RGB.</summary>
    public const int RgbByteCount = Scene.ImageSize * Scene.ImageSize * 3;

    /// <summary>The fill colour of each <see cref="ShapeColor"/>.</summary>
    public static Rgb Palette(ShapeColor color) => color switch
    {
        ShapeColor.Red => new Rgb(220, 40, 40),
        ShapeColor.Green => new Rgb(30, 160, 60),
        ShapeColor.Blue => new Rgb(40, 80, 225),
        ShapeColor.Yellow => new Rgb(240, 195, 20),
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, null),
    };

    /// <summary>Renders the scene to RGB bytes in HWC order, <see cref="RgbByteCount"/> long.</summary>
    public static byte[] RenderRgb(Scene scene)
    {
        using var bitmap = Draw(scene);
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[RgbByteCount];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgb[q] = rgba[p];
            rgb[q + 1] = rgba[p + 1];
            rgb[q + 2] = rgba[p + 2];
        }

        return rgb;
    }

    /// <summary>Renders the scene and encodes it as PNG (maximum zlib compression).</summary>
    public static byte[] EncodePng(Scene scene)
    {
        using var bitmap = Draw(scene);
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9))
            ?? throw new InvalidOperationException("SkiaSharp failed to encode the PNG.");
        return data.ToArray();
    }

    /// <summary>Renders the scene and writes it to <paramref name="path"/> as PNG.</summary>
    public static void SavePng(Scene scene, string path) => File.WriteAllBytes(path, EncodePng(scene));

    private static SKBitmap Draw(Scene scene)
    {
        var bitmap = new SKBitmap(new SKImageInfo(Scene.ImageSize, Scene.ImageSize, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ToSk(scene.Background));
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        foreach (var shape in scene.Shapes)
        {
            paint.Color = ToSk(Palette(shape.Color));
            float cx = shape.CenterX;
            float cy = shape.CenterY;
            float half = shape.Size / 2f;
            switch (shape.Kind)
            {
                case ShapeKind.Circle:
                    canvas.DrawCircle(cx, cy, half, paint);
                    break;
                case ShapeKind.Square:
                    // A square the size of the box looks much heavier than the circle; shrink it to a similar area.
                    float s = half * 0.85f;
                    canvas.DrawRect(new SKRect(cx - s, cy - s, cx + s, cy + s), paint);
                    break;
                case ShapeKind.Triangle:
                    using (var path = new SKPath())
                    {
                        path.MoveTo(cx, cy - half);
                        path.LineTo(cx + half, cy + half);
                        path.LineTo(cx - half, cy + half);
                        path.Close();
                        canvas.DrawPath(path, paint);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Unknown shape kind {shape.Kind}.");
            }
        }

        canvas.Flush();
        return bitmap;
    }

    private static SKColor ToSk(Rgb c) => new(c.R, c.G, c.B);
}
