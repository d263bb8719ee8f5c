using System.Text.Json;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Curves stored by a content hash of everything they depend on (model weights, validation data, groups, divergence
/// settings, grid, tool version): a new budget re-solves from the cache with no validation run.
/// </summary>
public sealed class CurveCache
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public CurveCache(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>The default folder: <c>$XDG_CACHE_HOME/dopcompiler/curves</c> (or <c>~/.cache/...</c>).</summary>
    public static string DefaultFolder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "dopcompiler", "curves");
    }

    public CurveCacheEntry? TryRead(string key)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize<CurveCacheEntry>(File.ReadAllBytes(path), Json);
            return entry is not null && entry.Key == key ? entry : null;
        }
        catch (JsonException)
        {
            // A damaged cache entry is recomputed, never trusted.
            return null;
        }
    }

    public void Write(CurveCacheEntry entry)
    {
        Directory.CreateDirectory(Folder);
        var path = PathOf(entry.Key);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entry, Json));
        File.Move(temp, path, overwrite: true);
    }

    private string PathOf(string key) => Path.Combine(Folder, $"curves-{key[..24]}.json");
}
