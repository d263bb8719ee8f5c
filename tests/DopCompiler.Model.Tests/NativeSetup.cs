using System.Runtime.CompilerServices;
using DopCompiler.Model.Native;

namespace DopCompiler.Model.Tests;

internal static class NativeSetup
{
    // Every process loads libtorch and the shim before the first TorchSharp call.
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeLoader.EnsureLoaded();
}
