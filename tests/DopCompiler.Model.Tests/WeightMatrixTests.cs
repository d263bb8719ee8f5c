using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>The three forms of a <see cref="WeightMatrix"/> (resident, mapped parts, streamed in chunks) compute the same product.</summary>
public sealed class WeightMatrixTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.BF16)]
    public void EveryFormGivesTheProductOfTheStoredRows(SafetensorsDType storage)
    {
        var generator = new Generator(0).manual_seed(3);
        using var a = randn([5, 12], generator: generator);
        using var b = randn([7, 12], generator: generator);
        using var bias = randn([12], generator: generator);
        var path = _temp.File("model.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["bias"] = bias }, storage);
        using var tensors = CheckpointTensors.Open(_temp.Path);
        using var x = randn([4, 12], generator: generator);
        // The reference: the rows as stored (rounded to the storage dtype), multiplied in fp32.
        using var storedA = tensors.Load("a");
        using var storedB = tensors.Load("b");
        using var storedBias = tensors.Load("bias");
        using var stored = cat([storedA, storedB], 0);
        using var expected = nn.functional.linear(x, stored, storedBias);

        var resident = new WeightResidency(ComputePrecision.Fp32);
        var none = new WeightResidency(ComputePrecision.Fp32, budgetBytes: 0, chunkBytes: 3 * 12 * 4); // 3 rows a chunk
        using var fused = WeightMatrix.Load(tensors, ["a", "b"], resident, ["bias"]);
        using var unfused = WeightMatrix.Load(tensors, ["a", "b"], none, ["bias"]);
        Assert.True(fused.IsResident);
        Assert.False(unfused.IsResident);
        Assert.Equal(12 * 12 * 4, resident.ResidentBytes);
        Assert.Equal(0, none.ResidentBytes);
        Assert.Equal([12L, 12L], unfused.Shape);
        using var y1 = fused.Apply(x);
        using var y2 = unfused.Apply(x);
        Assert.Equal(ScalarType.Float32, y2.dtype);
        Assert.True(y1.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.True(y2.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Bf16ComputeReturnsTheCallersDtypeCloseToFp32()
    {
        var generator = new Generator(0).manual_seed(4);
        using var w = randn([64, 32], generator: generator);
        SafetensorsWriter.Write(_temp.File("model.safetensors"), new Dictionary<string, Tensor> { ["w"] = w }, SafetensorsDType.BF16);
        using var tensors = CheckpointTensors.Open(_temp.Path);
        using var x = randn([8, 32], generator: generator);
        using var fp32 = WeightMatrix.Load(tensors, ["w"], new WeightResidency(ComputePrecision.Fp32));
        var bf16Residency = new WeightResidency(ComputePrecision.Bf16);
        using var bf16 = WeightMatrix.Load(tensors, ["w"], bf16Residency);
        Assert.True(bf16.IsResident);
        Assert.Equal(0, bf16Residency.ResidentBytes); // stored bf16 used as mapped: nothing converted
        using var a = fp32.Apply(x);
        using var b = bf16.Apply(x);
        Assert.Equal(ScalarType.Float32, b.dtype);
        Assert.False(a.equal(b).all().item<bool>()); // the input really was rounded to bf16
        Assert.True(a.allclose(b, rtol: 0.05, atol: 0.1));
    }

    [Theory]
    [InlineData(SafetensorsDType.F32, ComputePrecision.Fp32)]
    [InlineData(SafetensorsDType.BF16, ComputePrecision.Bf16)]
    public void PartsAlreadyInTheComputeDtypeAboveTheFuseLimitStayMapped(SafetensorsDType storage, ComputePrecision precision)
    {
        var generator = new Generator(0).manual_seed(6);
        using var a = randn([5, 16], generator: generator);
        using var b = randn([3, 16], generator: generator);
        using var bias = randn([8], generator: generator);
        SafetensorsWriter.Write(_temp.File("model.safetensors"), new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["bias"] = bias }, storage);
        using var tensors = CheckpointTensors.Open(_temp.Path);
        using var x = randn([4, 16], generator: generator);
        var fusing = new WeightResidency(precision);
        var limited = new WeightResidency(precision, fuseLimitBytes: 8 * 16 * 2 - 1); // one byte below the fused size in bf16
        using var fused = WeightMatrix.Load(tensors, ["a", "b"], fusing, ["bias"]);
        using var mapped = WeightMatrix.Load(tensors, ["a", "b"], limited, ["bias"]);
        Assert.True(fused.IsResident);
        Assert.False(mapped.IsResident);
        Assert.Equal(0, limited.ResidentBytes);
        Assert.Equal(1, limited.StreamedMatrices);
        Assert.Equal([8L, 16L], mapped.Shape);
        using var y1 = fused.Apply(x);
        using var y2 = mapped.Apply(x);
        Assert.Equal(ScalarType.Float32, y2.dtype);
        var tolerance = precision == ComputePrecision.Bf16 ? 0.05 : 1e-5;
        Assert.True(y1.allclose(y2, rtol: tolerance, atol: tolerance));

        // Parts of another dtype are still converted and fused within the budget: the limit is about copies that buy nothing.
        var other = new WeightResidency(precision == ComputePrecision.Bf16 ? ComputePrecision.Fp32 : ComputePrecision.Bf16, fuseLimitBytes: 0);
        using var converted = WeightMatrix.Load(tensors, ["a", "b"], other, ["bias"]);
        Assert.True(converted.IsResident);
    }

    [Theory]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.BF16)]
    public void AModelWithoutResidentBudgetGivesTheSameLogits(SafetensorsDType storage)
    {
        var options = new TinyLlavaOptions();
        TinyLlavaCheckpoint.Write(_temp.Path, options, storage);
        using var resident = LlavaModel.Load(_temp.Path);
        using var streamed = LlavaModel.Load(_temp.Path, residentBytes: 0);
        Assert.True(resident.Layers[0].QkvProj!.IsResident);
        Assert.False(streamed.Layers[0].QkvProj!.IsResident);
        Assert.Equal(0, streamed.Residency.ResidentBytes);
        using var pixels = rand([3, options.ImageSize, options.ImageSize], generator: new Generator(0).manual_seed(2));
        int[] ids = [1, 5, 9, options.ImageTokenIndex, 20, 31, 7];
        Tensor Logits(LlavaModel model)
        {
            var (features, cls) = model.EncodeImage(pixels);
            using (features)
            using (cls)
            using (var embeddings = model.EmbedPrompt(ids, features, out _))
            {
                return model.ReferencePrefill(embeddings, [0, (int)embeddings.shape[0] - 1]);
            }
        }

        using var a = Logits(resident);
        using var b = Logits(streamed);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-4));
    }
}
