using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>
/// What a forward on a GPU needs: weights, RoPE tables and row-selection indices on the model's device. Checked on
/// PyTorch's meta device (tensors without data), since these machines have no GPU. A whole forward cannot run on meta
/// in this libtorch (index_select and conv2d have no meta kernel in C++), so the forwards themselves are unverified on
/// a GPU until a machine with one runs them.
/// </summary>
public sealed class DeviceTests : IDisposable
{
    private readonly TinyModel _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void WeightsLoadOntoTheAskedDevice()
    {
        using var model = LlavaModel.Load(_tiny.Folder, device: META);
        Assert.Equal(DeviceType.META, model.Device.type);
        Assert.Equal(DeviceType.META, model.EmbedTokens.device_type);
        Assert.All(model.Layers, l => Assert.Equal(DeviceType.META, l.QkvProj!.Device.type));
        Assert.Equal(DeviceType.CPU, _tiny.Model.EmbedTokens.device_type);
    }

    [Fact]
    public void PlansAndRopeTablesAreMadeOnTheModelsDevice()
    {
        using var model = LlavaModel.Load(_tiny.Folder, device: META);
        // A spread split makes non-contiguous selections (index tensors), and pruning the rest deep drops rows.
        var layout = TokenGroupLayout.ForLlava(_tiny.Segments, 1, null, 0.25, imageRanking: ImageTokenOrder.SpreadWord);
        var policy = new DepthPolicy(new Dictionary<string, int> { ["image_rest"] = 3, ["image_key"] = 1 }, new Dictionary<string, int> { ["image_rest"] = 3, ["system"] = 2 });
        using var plan = ExecutionPlan.Build(policy.ToMask(layout.Groups.Select(g => g.Name).ToArray(), _tiny.Layers), layout, layout.AlwaysKept, model.Rotary);
        Assert.All(plan.Layers, l => Assert.Equal(DeviceType.META, l.Cos.device_type));
        Assert.All(plan.Layers, l => Assert.Equal(DeviceType.META, l.Sin.device_type));
        // Host position ids in, tables on the model's device out.
        using var ids = tensor(new long[] { 0, 3, 5 });
        var (cos, sin) = model.Rotary.Tables(ids);
        using (cos)
        using (sin)
        {
            Assert.Equal(DeviceType.META, cos.device_type);
            Assert.Equal(new long[] { 3, _tiny.Model.Config.Text.HeadDim }, cos.shape);
        }
    }

    [Fact]
    public void ASelectionGathersWithAnIndexOnItsDevice()
    {
        // Rows 0, 2, 4, 6, 8 are five ranges: more than the views handle, so an index tensor on the given device.
        using var selection = new RowSelection([0, 2, 4, 6, 8], 10, META);
        using var onCpu = arange(10, ScalarType.Float32, device: CPU).unsqueeze(1);
        var error = Assert.ThrowsAny<Exception>(() => selection.Gather(onCpu).Dispose());
        Assert.Contains("meta", error.Message, StringComparison.OrdinalIgnoreCase);
        using var cpuSelection = new RowSelection([0, 2, 4, 6, 8], 10);
        using var gathered = cpuSelection.Gather(onCpu);
        Assert.Equal(new[] { 0f, 2f, 4f, 6f, 8f }, gathered.ToHostFloats());
    }

    [Fact]
    public void HostReadbackCopiesFromAnotherDeviceAndReadsTheCpuInPlace()
    {
        using var onCpu = tensor(new[] { 1f, 2f, 3f });
        Assert.Equal(new[] { 1f, 2f, 3f }, onCpu.ToHostFloats());
        using var onMeta = onCpu.to(META);
        // Meta tensors have no values to copy: the readback must try to move it to the host (and libtorch refuses).
        Assert.ThrowsAny<Exception>(() => onMeta.ToHostFloats());
    }
}
