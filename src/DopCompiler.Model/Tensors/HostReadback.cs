using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tensors;

/// <summary>The host (CPU) side of device handling: which device means the host, and reading values back to it.</summary>
public static class HostReadback
{
    /// <summary>Whether <paramref name="device"/> is the host: null (the default everywhere) or the CPU.</summary>
    public static bool IsHost(this Device? device) => device is null || device.type == DeviceType.CPU;

    /// <summary>The tensor's values as floats (<c>data&lt;T&gt;()</c> reads CPU tensors only, so another device's are copied first).</summary>
    public static float[] ToHostFloats(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var host = tensor.cpu(); // a CPU tensor's own storage, without a copy
        return host.data<float>().ToArray();
    }
}
