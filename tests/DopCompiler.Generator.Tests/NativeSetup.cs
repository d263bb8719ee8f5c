using System.Runtime.CompilerServices;
using DopCompiler.Model.Native;

namespace DopCompiler.Generator.Tests;

internal static class NativeSetup
{
    // Every process loads libtorch and the shim before the first TorchSharp call (the generated bootstrap does too).
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeLoader.EnsureLoaded();
}
