using DopCompiler.Model;
using DopCompiler.Model.Native;

namespace DopCompiler.Runtime;

/// <summary>
/// Native loading for apps that use a generated class. The generator emits a <c>[ModuleInitializer]</c> calling
/// <see cref="Initialize"/>, so libtorch and TorchSharp's shim are loaded before any user code touches TorchSharp.
/// </summary>
public static class DopBootstrap
{
    /// <summary>
    /// Loads the native libraries once; never throws (a module initializer that throws breaks every type of the
    /// assembly). A failure is reported by <see cref="EnsureNativeLoaded"/>, which every generated <c>Load</c> calls.
    /// </summary>
    public static void Initialize()
    {
        try
        {
            TorchNativeLoader.EnsureLoaded();
        }
        catch (DopException)
        {
            // Remembered by the loader (it loads once per process); EnsureNativeLoaded rethrows it with its DOP001 message.
        }
    }

    /// <summary>Loads the native libraries once; throws <see cref="DopException"/> (DOP001) naming what is missing.</summary>
    public static NativeLoadResult EnsureNativeLoaded() => TorchNativeLoader.EnsureLoaded();
}
