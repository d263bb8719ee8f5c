using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Inputs.Hashing;

/// <summary>Incremental SHA-256 over typed, length-prefixed items; files are streamed, never loaded whole.</summary>
/// <remarks>Each item is written as a tag byte, an 8-byte little-endian length and the bytes, so ("ab","c") ≠ ("a","bc") and a file ≠ a string.</remarks>
public sealed class ContentHashBuilder : IDisposable
{
    private const byte StringTag = (byte)'S';
    private const byte FileTag = (byte)'F';
    private const byte BytesTag = (byte)'B';
    private const byte Int64Tag = (byte)'I';

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public ContentHashBuilder AddString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return AddItem(StringTag, bytes);
    }

    public ContentHashBuilder AddBytes(ReadOnlySpan<byte> bytes) => AddItem(BytesTag, bytes);

    public ContentHashBuilder AddInt64(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return AddItem(Int64Tag, bytes);
    }

    /// <summary>Adds a file's contents (not its path), streamed in 1 MiB blocks.</summary>
    /// <exception cref="SpecException">DOP038 when <paramref name="path"/> is a pipe or device: its content could block or never end.</exception>
    public ContentHashBuilder AddFile(string path)
    {
        RegularFiles.Check(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        WriteHeader(FileTag, stream.Length);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            _hash.AppendData(buffer, 0, read);
            total += read;
        }

        if (total != stream.Length)
        {
            throw new IOException($"'{path}' changed while it was being hashed.");
        }

        return this;
    }

    /// <summary>Adds every file under <paramref name="folder"/>: relative path ('/'-separated) then contents, in ordinal path order.</summary>
    public ContentHashBuilder AddDirectory(string folder, string searchPattern = "*")
    {
        var files = Directory.GetFiles(folder, searchPattern, SearchOption.AllDirectories)
            .Select(f => (Relative: Path.GetRelativePath(folder, f).Replace('\\', '/'), Full: f))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        AddInt64(files.Count);
        foreach (var (relative, full) in files)
        {
            AddString(relative);
            AddFile(full);
        }

        return this;
    }

    /// <summary>The hash so far, lower-case hex; the builder can keep adding afterwards.</summary>
    public string ToHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public void Dispose() => _hash.Dispose();

    private ContentHashBuilder AddItem(byte tag, ReadOnlySpan<byte> bytes)
    {
        WriteHeader(tag, bytes.Length);
        _hash.AppendData(bytes);
        return this;
    }

    private void WriteHeader(byte tag, long length)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(header[1..], length);
        _hash.AppendData(header);
    }
}
