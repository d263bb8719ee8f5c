using DopCompiler.TestFixtures;
using DopCompiler.Inputs.Images;
namespace DopCompiler.Spec.Tests;

public sealed class ValidationSetReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public ValidationSetReaderTests()
    {
        _folder.WriteBytes("img/a.png", Png.Rgb(2, 2, (x, y) => (1, 2, 3)));
        _folder.WriteBytes("img/b.png", Png.Grey(3, 1, (x, y) => 9));
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadsSamplesWithAbsoluteImagePaths()
    {
        var path = _folder.Write("sets/../val.jsonl", """
            {"image": "img/a.png", "prompt": "What shape?", "answer": "circle", "type": "shape"}

            {"id": 7, "image": "img/b.png", "prompt": "How many?", "answer": "3", "type": null}
            """);
        var set = ValidationSetReader.Read(path).GetValueOrThrow();
        Assert.Equal(Path.GetFullPath(path), set.Path);
        Assert.Equal(
            [
                new ValidationSample { ImagePath = _folder.PathOf("img/a.png"), Prompt = "What shape?", Answer = "circle", Type = "shape", Line = 1 },
                new ValidationSample { ImagePath = _folder.PathOf("img/b.png"), Prompt = "How many?", Answer = "3", Type = null, Line = 3 },
            ],
            set.Samples);
    }

    [Fact]
    public void LimitTakesTheFirstSamples()
    {
        var path = _folder.Write("val.jsonl", string.Concat(Enumerable.Range(0, 5).Select(i =>
            $"{{\"image\": \"img/a.png\", \"prompt\": \"p{i}\", \"answer\": \"a{i}\"}}\n")));
        var set = ValidationSetReader.Read(new ValidationSpec { Path = path, Limit = 2 }).GetValueOrThrow();
        Assert.Equal(["p0", "p1"], set.Samples.Select(s => s.Prompt));
        Assert.Equal(5, ValidationSetReader.Read(path).GetValueOrThrow().Samples.Count);
    }

    [Fact]
    public void AllErrorsAreReportedWithLineAndColumn()
    {
        _folder.WriteBytes("img/not-an-image.png", "hello, I am text"u8.ToArray());
        var path = _folder.Write("val.jsonl", """
            {"image": "img/a.png", "prompt": "ok", "answer": "ok"}
            {"image": "img/a.png", "prompt": "broken, "answer": "x"}
            {"image": "img/a.png", "answer": "x"}
            {"image": "img/missing.png", "prompt": "p", "answer": "a"}
            {"image": "img/a.png", "prompt": 5, "answer": "a", "type": 3}
            [1, 2]
            {"image": "img/not-an-image.png", "prompt": "p", "answer": "a"}
            {"image": "img/a.png", "prompt": "p", "answer": "a"} {}
            """);
        var result = ValidationSetReader.Read(path);
        Assert.False(result.Succeeded);
        Assert.Equal(
            [
                ("DOP031", 2, 44),
                ("DOP032", 3, 1),
                ("DOP033", 4, 11),
                ("DOP032", 5, 34),
                ("DOP032", 5, 60),
                ("DOP031", 6, 1),
                ("DOP034", 7, 11),
                ("DOP031", 8, 54),
            ],
            result.Diagnostics.Select(d => (d.Code, d.Line, d.Column)));
        Assert.Equal($"{path}(3,1): error DOP032: Missing field 'prompt'.", result.Diagnostics[1].ToString());
        Assert.Equal("Field 'prompt' must be a string, found a number.", result.Diagnostics[3].Message);
    }

    [Fact]
    public void ColumnsCountCharactersNotBytes()
    {
        var path = _folder.Write("val.jsonl", "{\"prompt\": \"äöü\", \"answer\": \"x\", \"image\": \"img/none.png\"}\n");
        var d = Assert.Single(ValidationSetReader.Read(path).Diagnostics);
        Assert.Equal(("DOP033", 1, 43), (d.Code, d.Line, d.Column));
    }

    [Fact]
    public void OversizedImageIsRefusedFromItsHeader()
    {
        _folder.WriteBytes("img/wide.png", Png.Grey(ImageFile.MaxSide + 1, 1, (x, y) => 0));
        var path = _folder.Write("val.jsonl", "{\"image\": \"img/wide.png\", \"prompt\": \"p\", \"answer\": \"a\"}\n");
        var d = Assert.Single(ValidationSetReader.Read(path).Diagnostics);
        Assert.Equal(("DOP035", 1, 11), (d.Code, d.Line, d.Column));
        Assert.Contains("8193×1", d.Message);
    }

    [Fact]
    public void EmptySetIsDop037()
    {
        var path = _folder.Write("val.jsonl", "\n\n");
        Assert.Equal("DOP037", Assert.Single(ValidationSetReader.Read(path).Diagnostics).Code);
    }

    [Fact]
    public void MissingFileIsDop025()
    {
        var d = Assert.Single(ValidationSetReader.Read(_folder.PathOf("none.jsonl")).Diagnostics);
        Assert.Equal("DOP025", d.Code);
    }
}
