namespace ShapesVlm.Data.Tests;

public class SceneTests
{
    private static IEnumerable<Scene> Scenes(int count)
    {
        var rng = new SplitMix64(42);
        for (int i = 0; i < count; i++)
        {
            yield return SceneGenerator.Next(rng);
        }
    }

    [Fact]
    public void Scenes_hold_two_to_six_shapes_in_distinct_cells_without_overlap()
    {
        foreach (var scene in Scenes(2000))
        {
            Assert.InRange(scene.Shapes.Count, 2, 6);
            Assert.Equal(scene.Shapes.Count, scene.Shapes.Select(s => (s.Row, s.Col)).Distinct().Count());
            foreach (var s in scene.Shapes)
            {
                Assert.InRange(s.Size, SceneGenerator.MinShapeSize, SceneGenerator.MaxShapeSize);
                Assert.InRange(s.Row, 0, Scene.GridSize - 1);
                Assert.InRange(s.Col, 0, Scene.GridSize - 1);
                // The whole box stays inside its own cell, so boxes never overlap and columns order left to right.
                Assert.True(s.CenterX - (s.Size / 2) >= s.Col * Scene.CellSize);
                Assert.True(s.CenterX + ((s.Size + 1) / 2) <= (s.Col + 1) * Scene.CellSize);
                Assert.True(s.CenterY - (s.Size / 2) >= s.Row * Scene.CellSize);
                Assert.True(s.CenterY + ((s.Size + 1) / 2) <= (s.Row + 1) * Scene.CellSize);
            }

            Assert.True(scene.Background.R >= 232 && scene.Background.G >= 232 && scene.Background.B >= 232);
        }
    }

    [Fact]
    public void All_kinds_and_colours_occur()
    {
        var shapes = Scenes(500).SelectMany(s => s.Shapes).ToArray();
        Assert.Equal(3, shapes.Select(s => s.Kind).Distinct().Count());
        Assert.Equal(4, shapes.Select(s => s.Color).Distinct().Count());
    }

    [Fact]
    public void Renderer_paints_each_shape_centre_in_its_palette_colour_on_the_background()
    {
        foreach (var scene in Scenes(50))
        {
            var rgb = SceneRenderer.RenderRgb(scene);
            Assert.Equal(192 * 192 * 3, rgb.Length);
            // Boxes keep 2 px from their cell's edges, so the corners are pure background.
            Assert.Equal(scene.Background, Pixel(rgb, 0, 0));
            Assert.Equal(scene.Background, Pixel(rgb, 191, 191));
            foreach (var s in scene.Shapes)
            {
                // Slightly below the centre: inside every kind, the triangle included.
                Assert.Equal(SceneRenderer.Palette(s.Color), Pixel(rgb, s.CenterX, s.CenterY + (s.Size / 6)));
            }
        }
    }

    [Fact]
    public void Png_decodes_to_the_rendered_bytes()
    {
        var scene = Scenes(1).Single();
        var png = SceneRenderer.EncodePng(scene);
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal(192, bitmap.Width);
        Assert.Equal(192, bitmap.Height);
        var rgb = SceneRenderer.RenderRgb(scene);
        for (int y = 0; y < 192; y += 7)
        {
            for (int x = 0; x < 192; x += 5)
            {
                var c = bitmap.GetPixel(x, y);
                Assert.Equal(new Rgb(c.Red, c.Green, c.Blue), Pixel(rgb, x, y));
            }
        }
    }

    [Fact]
    public void Chw_tensor_matches_hwc_bytes()
    {
        var rgb = SceneRenderer.RenderRgb(Scenes(1).Single());
        var chw = ImageTensor.ToChw(rgb);
        Assert.Equal(3 * 192 * 192, chw.Length);
        const int plane = 192 * 192;
        int p = (100 * 192) + 37;
        Assert.Equal(rgb[3 * p] / 255f, chw[p]);
        Assert.Equal(rgb[(3 * p) + 1] / 255f, chw[plane + p]);
        Assert.Equal(rgb[(3 * p) + 2] / 255f, chw[(2 * plane) + p]);
    }

    private static Rgb Pixel(byte[] rgb, int x, int y)
    {
        int i = ((y * 192) + x) * 3;
        return new Rgb(rgb[i], rgb[i + 1], rgb[i + 2]);
    }
}
