namespace DopCompiler.Cli;

/// <summary>Asks TorchSharp whether CUDA is usable (after the native loader picked the libtorch).</summary>
public static class CudaProbe
{
    public static bool IsAvailable()
    {
        try
        {
            return TorchSharp.torch.cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}
