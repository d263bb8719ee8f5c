using System.Runtime.InteropServices;
using DopCompiler.Model.Native;

namespace DopCompiler.Model.Tests;

public sealed class HeapAllocatorTuningTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void TheSwitchTurnsItOff()
    {
        Assert.Equal(HeapAllocatorTuning.Outcome.TurnedOff, HeapAllocatorTuning.Apply(Environment(("DOP_MALLOC_TUNING", "0"))));
    }

    [Theory]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "1000000")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "1000000")]
    public void TheUsersOwnMallocSettingsWin(string name, string value)
    {
        Assert.Equal(HeapAllocatorTuning.Outcome.UserSettingsKept, HeapAllocatorTuning.Apply(Environment((name, value))));
    }

    [Fact]
    public void OtherGlibcTunablesAreNotMallocSettings()
    {
        Assert.False(HeapAllocatorTuning.UserTunesMalloc(Environment(("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX512F"))));
        Assert.False(HeapAllocatorTuning.UserTunesMalloc(Environment()));
    }

    [GlibcFact]
    public void OnGlibcALargeBufferComesFromTheHeapAfterTuning()
    {
        Assert.Equal(HeapAllocatorTuning.Outcome.Applied, HeapAllocatorTuning.Apply(Environment()));
        // 16 MiB is above glibc's default 128 KiB mmap threshold; with the fixed 32 MiB threshold it is a heap chunk.
        // glibc marks mmapped chunks with bit 0x2 of the size word just before the pointer.
        var buffer = Marshal.AllocHGlobal(16 * 1024 * 1024);
        try
        {
            Assert.Equal(0, Marshal.ReadInt64(buffer, -8) & 0x2);
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    [Fact]
    public void TheLoaderAppliesItOncePerProcess()
    {
        var result = TorchNativeLoader.EnsureLoaded();
        var expected = HeapAllocatorTuning.UserTunesMalloc(System.Environment.GetEnvironmentVariable)
            ? HeapAllocatorTuning.Outcome.UserSettingsKept
            : System.Environment.GetEnvironmentVariable(HeapAllocatorTuning.SwitchVariable) == "0" ? HeapAllocatorTuning.Outcome.TurnedOff
            : HeapAllocatorTuning.Outcome.Applied;
        Assert.Equal(expected, result.Allocator);
    }
}
