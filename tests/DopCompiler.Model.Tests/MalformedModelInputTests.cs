using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.TestFixtures;

namespace DopCompiler.Model.Tests;

/// <summary>
/// Regressions from the malformed-input run (issue 20), model side: the format's strict rules are enforced and a
/// pipe in place of a file is a coded error, never a hang.
/// </summary>
public sealed class MalformedModelInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static DopException Dop002(string path)
    {
        var e = Assert.Throws<DopException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(DiagnosticCodes.SafetensorsFormat, e.Code);
        return e;
    }

    [Fact]
    public void SafetensorsHoleBetweenTensorsIsDop002()
    {
        var path = _temp.File("model.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]));
        Assert.Contains("4 unused bytes before the data of 'b'", Dop002(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsUnusedBytesAfterTheLastTensorIsDop002()
    {
        var path = _temp.File("model.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[10]));
        Assert.Contains("6 unused bytes after the last tensor", Dop002(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsFirstTensorNotAtZeroIsDop002()
    {
        var path = _temp.File("model.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]));
        Assert.Contains("unused bytes before the data of 'a'", Dop002(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsContiguousTensorsWithAnEmptyOneStillOpen()
    {
        var path = _temp.File("model.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}""", new byte[8]));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(3, file.Tensors.Count);
    }

    [Theory]
    [InlineData("I64", 8)]
    [InlineData("I32", 4)]
    [InlineData("U8", 1)]
    public void IntegerTypedWeightTensorIsDop002NotConvertedToFloats(string dtype, int size)
    {
        File.WriteAllBytes(_temp.File("model.safetensors"), RawSafetensors.Build(
            "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[2],\"data_offsets\":[0," + (2 * size) + "]}}", new byte[2 * size]));
        using var checkpoint = CheckpointTensors.Open(_temp.Path);
        var e = Assert.Throws<DopException>(() => checkpoint.Load("w").Dispose());
        Assert.Equal(DiagnosticCodes.SafetensorsFormat, e.Code);
        Assert.Contains($"stored as {dtype}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FifoInPlaceOfModelSafetensorsIsDop038NotAHang()
    {
        var path = _temp.File("model.safetensors");
        Fifo.Create(path);
        var e = Assert.IsType<DopException>(Fifo.RunBounded(() => SafetensorsFile.Open(path).Dispose()));
        Assert.Equal("DOP038", e.Code);
        Assert.Contains("named pipe", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FifoInPlaceOfConfigJsonIsDop038NotAHang()
    {
        Fifo.Create(_temp.File("config.json"));
        var e = Assert.IsType<DopException>(Fifo.RunBounded(() => ModelConfigReader.Read(_temp.Path)));
        Assert.Equal("DOP038", e.Code);
    }

    [Fact]
    public void FifoInPlaceOfTheTokenizerIsDop038NotAHang()
    {
        TinyTokenizer.Write(_temp.Path, 120);
        Fifo.Create(_temp.File("merges.txt"));
        var e = Assert.IsType<DopException>(Fifo.RunBounded(() => Text.ModelTokenizer.Load(_temp.Path)));
        Assert.Equal("DOP038", e.Code);
    }
}
