using System.Runtime.CompilerServices;
using DopCompiler.Model.Native;

namespace DopCompiler.Package.Tests;

internal static class NativeSetup
{
    // The fixture writer uses TorchSharp: libtorch and the shim load before its first call.
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeLoader.EnsureLoaded();
}
