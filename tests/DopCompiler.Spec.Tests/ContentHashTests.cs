using System.Security.Cryptography;
using System.Text;
using DopCompiler.Inputs.Hashing;

namespace DopCompiler.Spec.Tests;

public sealed class ContentHashTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FileHashDependsOnContentNotPath()
    {
        var a = _folder.Write("a.txt", "same");
        var b = _folder.Write("sub/b.txt", "same");
        var c = _folder.Write("c.txt", "other");
        Assert.Equal(ContentHash.Of(a), ContentHash.Of(b));
        Assert.NotEqual(ContentHash.Of(a), ContentHash.Of(c));
        Assert.Matches("^[0-9a-f]{64}$", ContentHash.Of(a));
    }

    [Fact]
    public void HashIsTheDocumentedFraming()
    {
        // 'S' + int64 LE length + UTF-8 bytes, per item: stable across runs and machines.
        var expected = Convert.ToHexStringLower(SHA256.HashData(
            [(byte)'S', 2, 0, 0, 0, 0, 0, 0, 0, (byte)'h', (byte)'i']));
        Assert.Equal(expected, ContentHash.OfText("hi"));
    }

    [Fact]
    public void ItemBoundariesMatter()
    {
        Assert.NotEqual(ContentHash.OfText("ab", "c"), ContentHash.OfText("a", "bc"));
        var file = _folder.Write("f.txt", "x");
        using var asFile = new ContentHashBuilder();
        using var asString = new ContentHashBuilder();
        Assert.NotEqual(asFile.AddFile(file).ToHex(), asString.AddString("x").ToHex());
    }

    [Fact]
    public void LargeFileIsStreamedAndMatchesOneShot()
    {
        var bytes = new byte[(3 << 20) + 17];
        new Random(1).NextBytes(bytes);
        var path = _folder.WriteBytes("big.bin", bytes);
        var header = new byte[9];
        header[0] = (byte)'F';
        BitConverter.TryWriteBytes(header.AsSpan(1), (long)bytes.Length);
        var expected = Convert.ToHexStringLower(SHA256.HashData([.. header, .. bytes]));
        Assert.Equal(expected, ContentHash.Of(path));
    }

    [Fact]
    public void BuilderIsIncremental()
    {
        using var builder = new ContentHashBuilder();
        var first = builder.AddString("model").ToHex();
        var second = builder.AddInt64(42).AddBytes(Encoding.UTF8.GetBytes("z")).ToHex();
        Assert.Equal(ContentHash.OfText("model"), first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void DirectoryHashIsOrderIndependentOfCreationAndSeesRenames()
    {
        _folder.Write("d1/b.txt", "2");
        _folder.Write("d1/a/x.txt", "1");
        _folder.Write("d2/a/x.txt", "1");
        _folder.Write("d2/b.txt", "2");
        _folder.Write("d3/a/x.txt", "1");
        _folder.Write("d3/c.txt", "2");
        Assert.Equal(ContentHash.OfDirectory(_folder.PathOf("d1")), ContentHash.OfDirectory(_folder.PathOf("d2")));
        Assert.NotEqual(ContentHash.OfDirectory(_folder.PathOf("d1")), ContentHash.OfDirectory(_folder.PathOf("d3")));
    }
}
