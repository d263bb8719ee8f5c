namespace ShapesVlm.Data.Tests;

/// <summary>Finds the committed sample files from the test's output folder.</summary>
internal static class RepoPaths
{
    public static string SampleRoot { get; } = Find();

    public static string Model => Path.Combine(SampleRoot, "model");

    public static string Data => Path.Combine(SampleRoot, "data");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "ShapesVlm");
            if (File.Exists(Path.Combine(candidate, "model", "vocab.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("samples/ShapesVlm with model/vocab.json not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "shapesvlm-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
