using System.Text;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Hashing;
using DopCompiler.Inputs.Images;
using DopCompiler.TestFixtures;

namespace DopCompiler.Spec.Tests;

/// <summary>
/// Regressions from the malformed-input run (issue 20), data side: validation sets, images, preprocessor configs and
/// hashed files. Each bad input is a coded diagnostic naming its line where it has one; pipes never block.
/// </summary>
public sealed class MalformedDataTests : IDisposable
{
    private readonly TempFolder _folder = new TempFolder().WithModelAndValidation();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void JsonlLineThatIsNotUtf8IsDop031AtItsLineAndByte()
    {
        var good = "{\"image\": \"images/a.png\", \"prompt\": \"What?\", \"answer\": \"A\"}\n";
        const string before = "{\"image\": \"images/a.png\", \"prompt\": \"Wh";
        var bad = Encoding.UTF8.GetBytes(before).Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("t?\", \"answer\": \"A\"}\n")).ToArray();
        var path = _folder.WriteBytes("mixed.jsonl", [.. Encoding.UTF8.GetBytes(good), .. bad, .. Encoding.UTF8.GetBytes(good)]);
        var result = ValidationSetReader.Read(path);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((SpecDiagnosticCodes.ValidationJson, 2, before.Length + 1), (diagnostic.Code, diagnostic.Line, diagnostic.Column));
        Assert.Contains("not valid UTF-8", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PngWithABadChunkCrcIsDop034AtTheJsonlLine()
    {
        var png = Png.Rgb(4, 4, (x, y) => ((byte)x, (byte)y, 7));
        png[png.Length - 20] ^= 0x01; // a byte inside IDAT's data; its CRC no longer matches
        _folder.WriteBytes("images/a.png", png);
        var result = ValidationSetReader.Read(_folder.PathOf("val.jsonl"));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((SpecDiagnosticCodes.ImageDecode, 1), (diagnostic.Code, diagnostic.Line));
        Assert.Contains("damaged PNG", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(SpecDiagnosticCodes.ImageDecode, Assert.Throws<SpecException>(() => ImageFile.DecodeRgb(_folder.PathOf("images/a.png"))).Diagnostics[0].Code);
    }

    [Fact]
    public void IntactPngStillDecodes()
    {
        Assert.Null(ImageFile.CheckHeader(_folder.PathOf("images/a.png")));
        Assert.Equal(4, ImageFile.DecodeRgb(_folder.PathOf("images/a.png")).Width);
    }

    [Theory]
    [InlineData("\"crop_size\": 100000", 336)]
    [InlineData("\"size\": {\"shortest_edge\": 100000}", 336)]
    [InlineData("\"size\": {\"height\": 70000, \"width\": 70000}, \"do_center_crop\": false", 336)]
    [InlineData("\"crop_size\": 224", 336)]
    [InlineData("\"size\": 1500", 336)]
    [InlineData("\"crop_size\": 9000", null)]
    public void PreprocessorWithHugeOrMismatchedSizesIsDop036BeforeAnyAllocation(string sizes, int? imageSize)
    {
        var path = _folder.Write("model/preprocessor_config.json", $"{{ {sizes}, \"resample\": 3 }}");
        var e = Assert.Throws<SpecException>(() => ImagePreprocessor.FromFile(path, imageSize));
        Assert.All(e.Diagnostics, d => Assert.Equal(SpecDiagnosticCodes.PreprocessorConfig, d.Code));
    }

    [Fact]
    public void PreprocessorMatchingTheVisionTowerIsAccepted()
    {
        var path = _folder.Write("model/preprocessor_config.json", "{ \"crop_size\": 336, \"size\": {\"shortest_edge\": 336} }");
        Assert.Equal(336, ImagePreprocessor.FromFile(path, 336).Width);
    }

    [Fact]
    public void FifoInPlaceOfTheSpecIsDop038NotAHang()
    {
        var path = _folder.PathOf("dop.yaml");
        Fifo.Create(path);
        SpecResult<DopSpec>? result = null;
        Assert.Null(Fifo.RunBounded(() => result = DopSpecParser.Parse(path)));
        Assert.Equal("DOP038", Assert.Single(result!.Diagnostics).Code);
    }

    [Fact]
    public void FifoInPlaceOfTheValidationSetIsDop038NotAHang()
    {
        var path = _folder.PathOf("val.jsonl");
        Fifo.Create(path);
        SpecResult<ValidationSet>? result = null;
        Assert.Null(Fifo.RunBounded(() => result = ValidationSetReader.Read(path)));
        Assert.Equal("DOP038", Assert.Single(result!.Diagnostics).Code);
    }

    [Fact]
    public void FifoInPlaceOfAnImageIsDop038AtTheJsonlLineNotAHang()
    {
        Fifo.Create(_folder.PathOf("images/a.png"));
        SpecResult<ValidationSet>? result = null;
        Assert.Null(Fifo.RunBounded(() => result = ValidationSetReader.Read(_folder.PathOf("val.jsonl"))));
        var diagnostic = Assert.Single(result!.Diagnostics);
        Assert.Equal(("DOP038", 1), (diagnostic.Code, diagnostic.Line));
    }

    [Fact]
    public void FifoInPlaceOfThePreprocessorConfigIsDop038NotAHang()
    {
        var path = _folder.PathOf("model/preprocessor_config.json");
        Fifo.Create(path);
        var e = Assert.IsType<SpecException>(Fifo.RunBounded(() => ImagePreprocessor.FromFile(path, 336)));
        Assert.Equal("DOP038", e.Diagnostics[0].Code);
    }

    [Fact]
    public void FifoInAHashedModelFolderIsDop038NotAHang()
    {
        Fifo.Create(_folder.PathOf("model/model.safetensors"));
        var e = Assert.IsType<SpecException>(Fifo.RunBounded(() => ModelHash.Of(_folder.PathOf("model"))));
        Assert.Equal("DOP038", e.Diagnostics[0].Code);
    }
}
