using System.Runtime.CompilerServices;
using DopCompiler.Model.Native;

namespace ShapesVlm.Train;

internal static class NativeSetup
{
    // libtorch and the (patched) TorchSharp shim must be loaded before the first TorchSharp call of the process.
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeLoader.EnsureLoaded();
}
