using DopCompiler.TestFixtures;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Images;
namespace DopCompiler.Spec.Tests;

public sealed class ImagePreprocessorTests : IDisposable
{
    private const string ShapesConfig = """
        {
          "crop_size": {"height": 192, "width": 192},
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": {"shortest_edge": 192}
        }
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static (byte R, byte G, byte B) Pattern(int x, int y) => ((byte)((x * 7) + y), (byte)(255 - x), (byte)((x * y) % 256));

    [Fact]
    public void ModelSizedImageIsRescaledAndNormalisedWithoutResampling()
    {
        var config = _folder.Write("preprocessor_config.json", ShapesConfig);
        var png = _folder.WriteBytes("a.png", Png.Rgb(192, 192, Pattern));
        var preprocessor = ImagePreprocessor.FromFile(config);
        Assert.Equal((192, 192), (preprocessor.Height, preprocessor.Width));

        var pixels = preprocessor.ToPixelValues(png);

        Assert.Equal(3 * 192 * 192, pixels.Length);
        float[] mean = [0.48145466f, 0.4578275f, 0.40821073f];
        float[] std = [0.26862954f, 0.26130258f, 0.27577711f];
        foreach (var (x, y) in new[] { (0, 0), (191, 0), (5, 17), (100, 191), (191, 191) })
        {
            var (r, g, b) = Pattern(x, y);
            byte[] rgb = [r, g, b];
            for (var c = 0; c < 3; c++)
            {
                // transformers: float64 rescale cast to float32, then float32 (x - mean) / std.
                var expected = ((float)(rgb[c] * (1.0 / 255.0)) - mean[c]) / std[c];
                Assert.Equal(expected, pixels[(c * 192 * 192) + (y * 192) + x]);
            }
        }

        // Spot value by hand: red 0 → (0 - 0.48145466) / 0.26862954.
        Assert.Equal(-1.7922626f, pixels[0], 5);
    }

    [Fact]
    public void SiglipProcessorResizesToTheExactSizeWithoutCropAndNormalisesWithHalf()
    {
        // llava-interleave-qwen's preprocessor_config.json at 20 px: no crop key, size as height × width, mean/std 0.5.
        var config = _folder.Write("siglip.json", TinyLlavaCheckpoint.SiglipPreprocessorJson(new TinyLlavaOptions { ImageSize = 20 }));
        var preprocessor = ImagePreprocessor.FromFile(config);
        Assert.False(preprocessor.DoCenterCrop);
        Assert.Equal((20, 20), (preprocessor.Height, preprocessor.Width));

        // Left half red, right half blue, twice as wide as high: an exact resize keeps both halves (a CLIP-style
        // shortest-edge resize and center crop would keep only the middle).
        var png = _folder.WriteBytes("wide.png", Png.Rgb(60, 30, (x, y) => x < 30 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255)));
        var pixels = preprocessor.ToPixelValues(png);
        Assert.Equal(3 * 20 * 20, pixels.Length);
        float At(int c, int x, int y) => pixels[(c * 400) + (y * 20) + x];
        Assert.Equal((1f, -1f), (At(0, 0, 10), At(2, 0, 10)));   // red: (1 - 0.5) / 0.5, blue: (0 - 0.5) / 0.5
        Assert.Equal((-1f, 1f), (At(0, 19, 10), At(2, 19, 10)));
    }

    [Fact]
    public void SiglipProcessorTakesItsOwnDefaultsAndHasNoCropStep()
    {
        var config = _folder.Write("p.json", """{"image_processor_type": "SiglipImageProcessor", "do_center_crop": true, "crop_size": 100}""");
        var preprocessor = ImagePreprocessor.FromFile(config);
        Assert.Equal((224, 224, false), (preprocessor.Height, preprocessor.Width, preprocessor.DoCenterCrop));
        Assert.Equal(ResampleFilter.Bicubic, preprocessor.Resample);
        Assert.Equal([0.5f, 0.5f, 0.5f], preprocessor.ImageMean);
        Assert.Equal([0.5f, 0.5f, 0.5f], preprocessor.ImageStd);
    }

    [Fact]
    public void SiglipProcessorWithAShortestEdgeSizeIsAnError()
    {
        var config = _folder.Write("p.json", """{"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 384}}""");
        var error = Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(config));
        Assert.Contains("height", error.Message);
    }

    [Fact]
    public void GreyImageIsReplicatedToThreeChannels()
    {
        var png = _folder.WriteBytes("g.png", Png.Grey(2, 2, (x, y) => 255));
        var preprocessor = new ImagePreprocessor { DoResize = false, CropHeight = 2, CropWidth = 2, DoNormalize = false };
        Assert.All(preprocessor.ToPixelValues(png), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void ShortestEdgeResizeThenCenterCropHasTheRightShape()
    {
        var config = _folder.Write("p.json", """{"size": 20, "crop_size": 20, "resample": 2}""");
        var preprocessor = ImagePreprocessor.FromFile(config);
        Assert.Equal(20, preprocessor.ShortestEdge);
        Assert.Equal(ResampleFilter.Bilinear, preprocessor.Resample);
        var png = _folder.WriteBytes("wide.png", Png.Rgb(100, 50, (x, y) => (128, 128, 128)));
        var pixels = preprocessor.ToPixelValues(png);
        Assert.Equal(3 * 20 * 20, pixels.Length);

        // A constant image stays constant under any normalised filter.
        var expectedRed = ((float)(128 * (1.0 / 255.0)) - 0.48145466f) / 0.26862954f;
        Assert.All(pixels.Take(400), v => Assert.Equal(expectedRed, v));
    }

    [Fact]
    public void BilinearHalvingMatchesPilWeights()
    {
        // PIL antialiased bilinear 4 → 2: support 2, output 0 reads inputs 0..2 with weights 3/7, 3/7, 1/7,
        // output 1 reads inputs 1..3 with weights 1/7, 3/7, 3/7.
        var image = new RgbImage
        {
            Width = 4,
            Height = 1,
            Pixels = [0, 0, 0, 70, 70, 70, 140, 140, 140, 210, 210, 210],
        };
        var preprocessor = new ImagePreprocessor
        {
            ResizeHeight = 1,
            ResizeWidth = 2,
            DoCenterCrop = false,
            DoRescale = false,
            DoNormalize = false,
            Resample = ResampleFilter.Bilinear,
        };
        var pixels = preprocessor.ToPixelValues(image);
        Assert.Equal([50f, 160f, 50f, 160f, 50f, 160f], pixels);
    }

    [Fact]
    public void BicubicUpscaleMatchesHandComputedPilWeights()
    {
        var image = new RgbImage { Width = 2, Height = 1, Pixels = [0, 0, 0, 255, 255, 255] };
        var preprocessor = new ImagePreprocessor
        {
            ResizeHeight = 1,
            ResizeWidth = 4,
            DoCenterCrop = false,
            DoRescale = false,
            DoNormalize = false,
        };
        var red = preprocessor.ToPixelValues(image).Take(4).ToArray();
        // Output 1 has centre 0.75 and reads inputs 0 and 1 at distances 0.25 and 0.75: Keys cubic (a = -0.5) gives
        // 0.8671875 and 0.2265625, normalised to 0.79286 and 0.20714, so 255 · 0.20714 = 52.8 → 53; output 2 mirrors it.
        Assert.Equal([0f, 53f, 202f, 255f], red);
    }

    [Fact]
    public void NonImageIsDop034()
    {
        var path = _folder.WriteBytes("x.png", "definitely not a png"u8.ToArray());
        var e = Assert.Throws<SpecException>(() => new ImagePreprocessor().ToPixelValues(path));
        Assert.Equal("DOP034", Assert.Single(e.Diagnostics).Code);
    }

    [Fact]
    public void OversizedImageIsDop035BeforeDecoding()
    {
        var path = _folder.WriteBytes("tall.png", Png.Grey(1, ImageFile.MaxSide + 1, (x, y) => 0));
        var e = Assert.Throws<SpecException>(() => new ImagePreprocessor().ToPixelValues(path));
        Assert.Equal("DOP035", Assert.Single(e.Diagnostics).Code);
    }

    [Fact]
    public void MissingImageIsDop033()
    {
        var e = Assert.Throws<SpecException>(() => new ImagePreprocessor().ToPixelValues(_folder.PathOf("none.png")));
        Assert.Equal("DOP033", Assert.Single(e.Diagnostics).Code);
    }

    [Fact]
    public void BadConfigReportsEveryProblemAsDop036()
    {
        var config = _folder.Write("p.json", """{"resample": 1, "image_std": [1, 0, 1], "do_resize": "yes"}""");
        var e = Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(config));
        Assert.Equal(3, e.Diagnostics.Count);
        Assert.All(e.Diagnostics, d => Assert.Equal("DOP036", d.Code));
    }

    [Fact]
    public void MalformedConfigJsonIsDop036WithPosition()
    {
        var config = _folder.Write("p.json", "{\n  \"size\": ,\n}");
        var d = Assert.Single(Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(config)).Diagnostics);
        Assert.Equal(("DOP036", 2, 11), (d.Code, d.Line, d.Column));
    }

    [Fact]
    public void MissingConfigIsDop025()
    {
        var e = Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(_folder.PathOf("none.json")));
        Assert.Equal("DOP025", Assert.Single(e.Diagnostics).Code);
    }
}
