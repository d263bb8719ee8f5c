using System.Runtime.CompilerServices;
using DopCompiler.Model.Native;

namespace DopCompiler.Search.Tests;

internal static class NativeSetup
{
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeLoader.EnsureLoaded();
}
