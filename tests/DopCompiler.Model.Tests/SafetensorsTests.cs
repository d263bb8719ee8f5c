using System.Buffers.Binary;
using System.Text;
using DopCompiler.Model.Checkpoints;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Theory]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.BF16)]
    [InlineData(SafetensorsDType.F16)]
    public void RoundTripConvertsStorageToFp32(SafetensorsDType storage)
    {
        using var a = randn(5, 7);
        using var b = arange(12, ScalarType.Float32).reshape(3, 4);
        var path = _temp.File("x.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b.weight"] = b }, storage, new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(storage, file.Tensors["a"].DType);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(0, file.DataStart % 8);
        using var folderCheckpoint = CheckpointTensors.Open(_temp.Path);
        using var loadedA = folderCheckpoint.Load("a");
        using var loadedB = folderCheckpoint.Load("b.weight");
        Assert.Equal(ScalarType.Float32, loadedA.dtype);
        Assert.Equal(new long[] { 5, 7 }, loadedA.shape);
        // Expected: the value after rounding through the storage dtype.
        using var expectedA = a.to_type(SafetensorsFile_ScalarType(storage)).to_type(ScalarType.Float32);
        Assert.True(expectedA.equal(loadedA).all().item<bool>());
        Assert.True(b.equal(loadedB).all().item<bool>());
    }

    [Fact]
    public void F32TensorsAreMappedNotCopied()
    {
        using var a = randn(64, 64);
        var path = _temp.File("model.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = a + 1 });
        using var checkpoint = CheckpointTensors.Open(_temp.Path);
        using var first = checkpoint.Load("a");
        using var second = checkpoint.Load("b");
        // Both are views of one file mapping: same storage, different offsets.
        Assert.Equal(first.storage<float>().data_ptr(), second.storage<float>().data_ptr());
        Assert.True(a.equal(first).all().item<bool>());
    }

    [Fact]
    public void ShardedCheckpointLoadsThroughItsIndex()
    {
        using var a = randn(3, 3);
        using var b = randn(2);
        SafetensorsWriter.Write(_temp.File("model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["a"] = a });
        SafetensorsWriter.Write(_temp.File("model-00002-of-00002.safetensors"), new Dictionary<string, Tensor> { ["b"] = b });
        File.WriteAllText(_temp.File("model.safetensors.index.json"),
            """{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        using var checkpoint = CheckpointTensors.Open(_temp.Path);
        Assert.Equal(new[] { "a", "b" }, checkpoint.Names);
        using var loaded = checkpoint.Load("b");
        Assert.True(b.equal(loaded).all().item<bool>());
    }

    [Fact]
    public void IndexNamingTheWrongShardIsAnError()
    {
        using var a = randn(3);
        SafetensorsWriter.Write(_temp.File("s1.safetensors"), new Dictionary<string, Tensor> { ["a"] = a });
        SafetensorsWriter.Write(_temp.File("s2.safetensors"), new Dictionary<string, Tensor> { ["b"] = a });
        File.WriteAllText(_temp.File("model.safetensors.index.json"), """{"weight_map":{"a":"s2.safetensors"}}""");
        var error = Assert.Throws<DopException>(() => CheckpointTensors.Open(_temp.Path));
        Assert.Equal("DOP002", error.Code);
        Assert.Contains("'a'", error.Message);
    }

    public static TheoryData<string, string, int, string> MalformedHeaders => new()
    {
        // header JSON, expected message fragment, data bytes, tensor named in the message ("" = none)
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]", "well-formed JSON", 8, "" },
        { "[1, 2]", "not a JSON object", 0, "" },
        { "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", "not supported", 8, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "non-negative", 4, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", "outside the data section", 8, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", "does not match", 8, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", "overlaps", 12, "b" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2]}}", "needs 'dtype'", 8, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", "outside the data section", 8, "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0]}}", "exactly [begin, end]", 8, "a" },
        { "{\"__metadata__\": {\"k\": 1}}", "not a string", 0, "" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 8]}}", "overflows", 8, "a" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void MalformedHeaderGivesDop002NamingFileAndTensor(string header, string fragment, int dataBytes, string tensor)
    {
        var path = _temp.File("bad.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build(header, new byte[dataBytes]));
        var error = Assert.Throws<DopException>(() => SafetensorsFile.Open(path));
        Assert.Equal("DOP002", error.Code);
        Assert.Contains(fragment, error.Message);
        Assert.Contains(path, error.Message);
        if (tensor.Length > 0)
        {
            Assert.Contains($"tensor '{tensor}'", error.Message);
        }
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRefused()
    {
        var path = _temp.File("huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DopException>(() => SafetensorsFile.Open(path));
        Assert.Equal("DOP002", error.Code);
        Assert.Contains("header length", error.Message);
    }

    [Fact]
    public void TruncatedFileIsRefused()
    {
        var path = _temp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal("DOP002", Assert.Throws<DopException>(() => SafetensorsFile.Open(path)).Code);
    }

    [Fact]
    public void MisalignedTensorIsReadCorrectly()
    {
        // A 1-byte U8 tensor first pushes the F32 data to an odd offset: legal, but not mappable as float.
        var floats = new float[] { 1.5f, -2.25f, 3f };
        var data = new byte[1 + 12];
        data[0] = 7;
        Buffer.BlockCopy(floats, 0, data, 1, 12);
        var header = "{\"u\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}, \"f\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [1, 13]}}";
        var path = _temp.File("odd.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build(header, data));
        using var file = SafetensorsFile.Open(path);
        using var f = file.Load("f");
        Assert.Equal(floats, f.data<float>().ToArray());
    }

    public void Dispose() => _temp.Dispose();

    private static ScalarType SafetensorsFile_ScalarType(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.F16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };
}
