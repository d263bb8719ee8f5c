using DopCompiler.TestFixtures;

namespace DopCompiler.Spec.Tests;

/// <summary>A temporary folder with a model stub, a validation set and images, made by code.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "dop-spec-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public string Write(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    public string WriteBytes(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>model/config.json, images/a.png (4×4), val.jsonl with one sample.</summary>
    public TempFolder WithModelAndValidation()
    {
        Write("model/config.json", "{}");
        WriteBytes("images/a.png", Png.Rgb(4, 4, (x, y) => ((byte)x, (byte)y, 0)));
        Write("val.jsonl", "{\"image\": \"images/a.png\", \"prompt\": \"What?\", \"answer\": \"A\"}\n");
        return this;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
