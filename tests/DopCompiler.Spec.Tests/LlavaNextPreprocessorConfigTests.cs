using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Images;
using DopCompiler.TestFixtures;

namespace DopCompiler.Spec.Tests;

/// <summary>LlavaNextImageProcessor's keys in preprocessor_config.json: pinpoints read as (height, width), bad ones DOP036.</summary>
public sealed class LlavaNextPreprocessorConfigTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Config(string pinpoints, string crop = "{\"height\": 28, \"width\": 28}") => $$"""
        {
          "crop_size": {{crop}},
          "size": {"shortest_edge": 28},
          "image_processor_type": "LlavaNextImageProcessor",
          {{pinpoints}}
          "resample": 3
        }
        """;

    [Fact]
    public void PinpointsAreHeightWidthPairsAndAbsentOnesTakeTheProcessorDefault()
    {
        var read = ImagePreprocessor.FromFile(_folder.Write("a.json", Config("\"image_grid_pinpoints\": [[28, 56], [84, 28]],")), 28);
        Assert.True(read.IsAnyres);
        Assert.Equal([(28, 56), (84, 28)], read.GridPinpoints!);

        var defaults = ImagePreprocessor.FromFile(_folder.Write("b.json", Config("").Replace("\"size\": {\"shortest_edge\": 28}", "\"size\": {\"shortest_edge\": 336}")
            .Replace("{\"height\": 28, \"width\": 28}", "{\"height\": 336, \"width\": 336}")), 336);
        Assert.Equal([(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)], defaults.GridPinpoints!);

        // A CLIP processor config is not anyres and keeps ToPixelValues.
        Assert.False(ImagePreprocessor.FromJson("""{"crop_size": 28, "size": 28}""", "c.json").IsAnyres);
    }

    [Theory]
    [InlineData("\"image_grid_pinpoints\": [[30, 56]],", "{\"height\": 28, \"width\": 28}", "multiples of crop_size")]
    [InlineData("\"image_grid_pinpoints\": [[28]],", "{\"height\": 28, \"width\": 28}", "pairs")]
    [InlineData("\"image_grid_pinpoints\": [],", "{\"height\": 28, \"width\": 28}", "non-empty")]
    [InlineData("\"image_grid_pinpoints\": [[28, 56]],", "{\"height\": 28, \"width\": 56}", "square")]
    [InlineData("\"image_grid_pinpoints\": [[2800, 2800]],", "{\"height\": 28, \"width\": 28}", "tiles")]
    public void BadPinpointsAreDop036(string pinpoints, string crop, string says)
    {
        var path = _folder.Write("bad.json", Config(pinpoints, crop));
        var d = Assert.Single(Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(path)).Diagnostics, x => x.Message.Contains(says, StringComparison.Ordinal));
        Assert.Equal(SpecDiagnosticCodes.PreprocessorConfig, d.Code);
    }

    [Fact]
    public void LlavaOnevisionProcessorsTileInSizeSquaresWithoutACrop()
    {
        const string Onevision = """{"image_processor_type": "LlavaOnevisionImageProcessor", "size": {"height": 28, "width": 28}, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}""";
        var read = ImagePreprocessor.FromJson(Onevision.Replace("28", "384", StringComparison.Ordinal), "o.json");
        Assert.True(read.IsAnyres);
        Assert.False(read.DoCenterCrop);
        Assert.Equal(384, read.TileSide);
        // Absent pinpoints: LlavaOnevisionImageProcessor's 36 defaults, 384·(1..6) squared, height-major; at tile 28 they
        // are not multiples of the tile and are refused.
        Assert.Throws<SpecException>(() => ImagePreprocessor.FromJson(Onevision, "o.json"));
        Assert.Equal(36, read.GridPinpoints!.Count);
        Assert.Equal((384, 768), read.GridPinpoints[1]);
        var png = _folder.WriteBytes("o.png", Png.Rgb(56, 20, (x, y) => ((byte)x, (byte)y, 0)));
        var withPinpoints = ImagePreprocessor.FromJson(Onevision.Replace("\"size\"", "\"image_grid_pinpoints\": [[28, 28], [28, 56]], \"size\"", StringComparison.Ordinal), "o.json");
        var image = withPinpoints.Preprocess(png);
        Assert.Equal((3, 28, 28, 1, 2), (image.Count, image.Height, image.Width, image.GridRows, image.GridColumns));

        var e = Assert.Throws<SpecException>(() => ImagePreprocessor.FromJson(Onevision.Replace("\"width\": 28", "\"width\": 56", StringComparison.Ordinal), "o.json"));
        Assert.Contains(e.Diagnostics, d => d.Code == SpecDiagnosticCodes.PreprocessorConfig && d.Message.Contains("must be square", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAnyresProcessorRefusesTheSingleTileCall()
    {
        var read = ImagePreprocessor.FromFile(_folder.Write("a.json", Config("\"image_grid_pinpoints\": [[28, 56]],")), 28);
        var png = _folder.WriteBytes("a.png", Png.Rgb(56, 28, (x, y) => ((byte)x, (byte)y, 0)));
        Assert.Throws<InvalidOperationException>(() => read.ToPixelValues(png));
        var image = read.Preprocess(png);
        Assert.Equal((3, 28, 56), (image.Count, image.ImageHeight, image.ImageWidth));
        Assert.Equal(3 * 3 * 28 * 28, image.Pixels.Length);
    }
}
