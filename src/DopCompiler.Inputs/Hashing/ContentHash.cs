namespace DopCompiler.Inputs.Hashing;

/// <summary>SHA-256 content hashes (lower-case hex) for cache keys: stable across machines, runs and path spellings.</summary>
public static class ContentHash
{
    /// <summary>The hash of the files' contents, in the order given (paths do not enter the hash).</summary>
    public static string Of(params string[] files)
    {
        using var builder = new ContentHashBuilder();
        foreach (var file in files)
        {
            builder.AddFile(file);
        }

        return builder.ToHex();
    }

    /// <summary>The hash of the strings, in the order given (UTF-8, each length-prefixed so boundaries count).</summary>
    public static string OfText(params string[] values)
    {
        using var builder = new ContentHashBuilder();
        foreach (var value in values)
        {
            builder.AddString(value);
        }

        return builder.ToHex();
    }

    /// <summary>The hash of every file under a folder: relative paths ('/'-separated, ordinal order) and contents.</summary>
    public static string OfDirectory(string folder, string searchPattern = "*")
    {
        using var builder = new ContentHashBuilder();
        builder.AddDirectory(folder, searchPattern);
        return builder.ToHex();
    }
}
