using System.Text.Json;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Curves stored by a content hash of everything they depend on (model weights, validation data, groups, divergence
/// settings, grid, tool version): a new budget re-solves from the cache with no validation run. A shard of the curve
/// points (<c>dop search --shard i/n</c>) is stored beside them under its own name, <c>curves-&lt;key&gt;.shard-i-of-n.json</c>,
/// so a plain search never mistakes it for whole curves.
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

    /// <summary>The whole curves for <paramref name="key"/>, or null (none, damaged, or a shard).</summary>
    public CurveCacheEntry? TryRead(string key) => TryReadFile(PathOf(key)) is { Shard: null } entry && entry.Key == key ? entry : null;

    /// <summary>This shard's points for <paramref name="key"/>, or null.</summary>
    public CurveCacheEntry? TryReadShard(string key, CurveShard shard) =>
        TryReadFile(ShardPathOf(key, shard)) is { Shard: { } stored, Points: not null } entry && entry.Key == key && stored == shard ? entry : null;

    /// <summary>Reads one cache or shard file; null when it is missing or damaged (a damaged entry is recomputed, never trusted).</summary>
    public static CurveCacheEntry? TryReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CurveCacheEntry>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Every shard file under <paramref name="folder"/> and its subfolders (a CI job's downloaded artifacts), sorted.</summary>
    public static IReadOnlyList<string> ShardFilesUnder(string folder) =>
        Directory.GetFiles(folder, "curves-*.shard-*-of-*.json", SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();

    public void Write(CurveCacheEntry entry) => WriteAtomically(PathOf(entry.Key), entry);

    /// <summary>Writes a shard's entry (<see cref="CurveCacheEntry.Shard"/> set); returns its path.</summary>
    public string WriteShard(CurveCacheEntry entry)
    {
        var path = ShardPathOf(entry.Key, entry.Shard ?? throw new ArgumentException("not a shard entry", nameof(entry)));
        WriteAtomically(path, entry);
        return path;
    }

    private void WriteAtomically(string path, CurveCacheEntry entry)
    {
        Directory.CreateDirectory(Folder);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entry, Json));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Where the whole curves for <paramref name="key"/> are stored.</summary>
    public string PathOf(string key) => Path.Combine(Folder, $"curves-{key[..24]}.json");

    /// <summary>Where shard <paramref name="shard"/> of the points for <paramref name="key"/> is stored.</summary>
    public string ShardPathOf(string key, CurveShard shard) => Path.Combine(Folder, $"curves-{key[..24]}.shard-{shard.Index}-of-{shard.Count}.json");
}
