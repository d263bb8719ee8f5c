using System.Runtime.InteropServices;

namespace DopCompiler.Model.Native;

/// <summary>
/// Keeps glibc's allocator from handing libtorch's short-lived activation buffers back to the kernel after every op.
/// </summary>
/// <remarks>
/// <para>Why: libtorch allocates its CPU tensors with glibc <c>malloc</c>. glibc starts with a 128 KiB mmap threshold
/// that only creeps up as mmapped blocks are freed, and trims the top of the heap whenever more than twice that is
/// free. A decoder layer's attention buffers are ~1 MiB at 173 tokens, so for the first seconds of a process every layer
/// maps, page-faults, zeroes and unmaps them again. Measured on the 2-core EPYC build machine with the shipped sample
/// model: a layer with full attention took 5.4–6.1 ms in the first time-model probe of a process and 3.7–4.2 ms after
/// ~10 s of warm-up (four probes in a row: 6.05 → 5.86 → 4.13 → 3.73 ms), which made the fitted time model over-predict
/// the unpruned prefill by up to 81% (median errors of 21–71% over 10 random policies; 2.9–14.4% with the tuning). With a fixed 32 MiB mmap threshold and a 64 MiB trim threshold the first probe matched the
/// warm ones. The same warm-up cost hits an app's first prefills, so the runtime applies it too.</para>
/// <para>Process-wide by nature (one allocator per process), so applied once by <see cref="TorchNativeLoader"/>. Left
/// alone when the user already tunes malloc (<c>GLIBC_TUNABLES</c> naming malloc, or <c>MALLOC_*_</c> variables) or
/// sets <c>DOP_MALLOC_TUNING=0</c>. Cost: up to 64 MiB of freed heap stays mapped for reuse.</para>
/// </remarks>
public static class HeapAllocatorTuning
{
    /// <summary>Environment variable that turns the tuning off when set to <c>0</c>.</summary>
    public const string SwitchVariable = "DOP_MALLOC_TUNING";

    /// <summary>glibc's largest allowed mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX).</summary>
    public const int MmapThresholdBytes = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of the heap kept before trimming.</summary>
    public const int TrimThresholdBytes = 64 * 1024 * 1024;

    // From glibc's malloc.h.
    private const int TrimThresholdParameter = -1;
    private const int MmapThresholdParameter = -3;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MalloptFunction(int parameter, int value);

    /// <summary>How the tuning went: applied, or why not.</summary>
    public enum Outcome
    {
        Applied,
        NotGlibc,
        TurnedOff,
        UserSettingsKept,
        Refused,
    }

    /// <summary>Applies the thresholds unless turned off or the user set their own; never throws.</summary>
    public static Outcome Apply(Func<string, string?> environment)
    {
        if (environment(SwitchVariable) == "0")
        {
            return Outcome.TurnedOff;
        }

        if (UserTunesMalloc(environment))
        {
            return Outcome.UserSettingsKept;
        }

        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)
            || !NativeLibrary.TryGetExport(libc, "mallopt", out var address))
        {
            // musl, macOS, Windows: a different allocator with its own behaviour; nothing to tune here.
            return Outcome.NotGlibc;
        }

        var mallopt = Marshal.GetDelegateForFunctionPointer<MalloptFunction>(address);
        // mallopt returns 1 on success. Setting the mmap threshold also stops glibc's dynamic adjustment of both.
        var ok = mallopt(MmapThresholdParameter, MmapThresholdBytes) == 1 & mallopt(TrimThresholdParameter, TrimThresholdBytes) == 1;
        return ok ? Outcome.Applied : Outcome.Refused;
    }

    /// <summary>Whether the environment already carries the user's own malloc settings (which must win).</summary>
    public static bool UserTunesMalloc(Func<string, string?> environment) =>
        (environment("GLIBC_TUNABLES") ?? string.Empty).Contains("glibc.malloc.", StringComparison.Ordinal)
        || new[] { "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_" }
            .Any(name => !string.IsNullOrEmpty(environment(name)));
}
