namespace DopCompiler.Model.Native;

/// <summary>
/// What <see cref="TorchNativeLoader"/> loaded: paths (null where the platform needed nothing), whether the shim was
/// patched, and how the heap allocator tuning went.
/// </summary>
public sealed record NativeLoadResult(string? LibTorchPath, string? ShimPath, bool Patched, HeapAllocatorTuning.Outcome Allocator);
