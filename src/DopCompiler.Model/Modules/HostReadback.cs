using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>Reads tensor values into managed arrays from any device (<c>data&lt;T&gt;()</c> works on CPU tensors only).</summary>
public static class HostReadback
{
    /// <summary>The tensor's values as floats, copied to the host first when it lives on another device.</summary>
    public static float[] ToHostFloats(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.device_type == DeviceType.CPU)
        {
            return tensor.data<float>().ToArray();
        }

        using var host = tensor.cpu();
        return host.data<float>().ToArray();
    }
}
