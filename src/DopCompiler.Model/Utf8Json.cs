using System.Text.Unicode;

namespace DopCompiler.Model;

/// <summary>
/// JSON files read as bytes are checked for UTF-8 first: <see cref="System.Text.Json.JsonDocument"/> accepts bad
/// UTF-8 inside strings and only fails, with an uncoded InvalidOperationException, when a string is read later.
/// </summary>
internal static class Utf8Json
{
    /// <summary>The bytes of a regular file that is valid UTF-8; otherwise a <see cref="DopException"/> with <paramref name="code"/>.</summary>
    public static byte[] Read(string path, string code)
    {
        RegularFiles.Check(path);
        var bytes = File.ReadAllBytes(path);
        Check(bytes, path, code);
        return bytes;
    }

    /// <summary>Throws a <see cref="DopException"/> with <paramref name="code"/> naming the first byte that is not UTF-8.</summary>
    public static void Check(ReadOnlySpan<byte> bytes, string path, string code)
    {
        if (Utf8.IsValid(bytes))
        {
            return;
        }

        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out var valid, out _, replaceInvalidSequences: false);
        throw new DopException(code, $"{path}: not valid UTF-8 (byte 0x{bytes[valid]:X2} at offset {valid})", path);
    }
}
