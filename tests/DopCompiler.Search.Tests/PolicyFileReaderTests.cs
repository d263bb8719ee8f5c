using System.Text;
using DopCompiler.Model;
using DopCompiler.Model.Configuration;
using DopCompiler.Search.Document;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>
/// Regressions from the malformed-input run (issue 20): <c>dop eval|logits|verify|trim --policy</c> accepted broken
/// policies and evaluated something. One strict reader now refuses each with a code.
/// </summary>
public sealed class PolicyFileReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dop-policy-reader-").FullName;

    public PolicyFileReaderTests()
    {
        Model = Path.Combine(_folder, "model");
        TinyLlavaCheckpoint.Write(Model, TinySearchProject.DefaultOptions);
        Hash = PolicyFileReader.IdentityOf(Model);
        Valid = Encoding.UTF8.GetString(TinyPolicy.Json(Model, Hash));
    }

    private string Model { get; }

    private string Hash { get; }

    private string Valid { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "p.policy.json");
        File.WriteAllText(path, json);
        return path;
    }

    private DopException Refused(string json, string code = "DOP006")
    {
        var path = Write(json);
        var e = Assert.Throws<DopException>(() => PolicyFileReader.ReadFor(path, Model, ModelConfigReader.Read(Model)));
        Assert.Equal(code, e.Code);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    /// <summary>The valid document with its first <c>"depth": N</c> value replaced by <paramref name="value"/>.</summary>
    private string WithFirstDepth(string value)
    {
        var at = Valid.IndexOf("\"depth\":", StringComparison.Ordinal);
        Assert.True(at > 0);
        var start = at + "\"depth\":".Length;
        var end = Valid.IndexOfAny([',', '}', '\n'], start);
        return Valid[..start] + " " + value + Valid[end..];
    }

    [Fact]
    public void ValidPolicyForThisModelIsRead()
    {
        var document = PolicyFileReader.ReadFor(Write(Valid), Model, ModelConfigReader.Read(Model));
        Assert.Contains(document.Depths, d => (d.Module, d.Group, d.Depth) == ("mlp", "image", 3));
    }

    [Fact]
    public void InvalidJsonMissingBraceIsDop006() => Refused(Valid.TrimEnd().TrimEnd('}'));

    [Fact]
    public void DeeplyNestedJsonIsDop006NotACrash() =>
        Refused(Valid.Replace("\"tool_version\"", "\"extra\": " + new string('[', 100_000) + new string(']', 100_000) + ", \"tool_version\"", StringComparison.Ordinal));

    [Theory]
    [InlineData("-1")]
    [InlineData("5")]
    [InlineData("99999")]
    [InlineData("\"2\"")]
    [InlineData("null")]
    [InlineData("1.5")]
    public void DepthThatIsNotALayerCountIsDop006(string value) => Refused(WithFirstDepth(value));

    [Fact]
    public void PolicyForAnotherModelIsDop010NamingBothHashes()
    {
        var e = Refused(Valid.Replace(Hash, "sha256:" + new string('0', 64), StringComparison.Ordinal), "DOP010");
        Assert.Contains(Hash, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownGroupInDepthsIsDop006() => Refused(Valid.Replace("\"group\": \"text\"", "\"group\": \"txt\"", StringComparison.Ordinal));

    [Fact]
    public void FifoInPlaceOfThePolicyIsDop038NotAHang()
    {
        var path = Path.Combine(_folder, "pipe.policy.json");
        Fifo.Create(path);
        var e = Assert.IsType<DopException>(Fifo.RunBounded(() => PolicyFileReader.Read(path)));
        Assert.Equal("DOP038", e.Code);
    }
}
