using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DopCompiler.Model.Native;

namespace ShapesVlm.Train;

internal static partial class NativeSetup
{
    // libtorch and the (patched) TorchSharp shim must be loaded before the first TorchSharp call of the process.
    [ModuleInitializer]
    internal static void Initialize()
    {
        // On a shared 2-core machine, OpenMP's default spin-waiting made training steps up to ~10x slower whenever other
        // processes competed for the cores (a spinning thread waits for its descheduled partner). Passive waiting
        // yields instead; it must be in the native environment before libtorch (and its libgomp) loads.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }

        TorchNativeLoader.EnsureLoaded();
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
