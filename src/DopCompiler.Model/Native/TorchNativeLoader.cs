using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace DopCompiler.Model.Native;

/// <summary>
/// Loads libtorch and TorchSharp's native shim before any TorchSharp call; the one place that touches native loading.
/// </summary>
/// <remarks>
/// <para>Why not let TorchSharp load itself: on Debian 12 its shim needs a libstdc++ symbol version the system lacks
/// and TorchSharp then reports a misleading "doesn't contain a reference to libtorch-cpu-linux-x64" (see
/// <see cref="ElfVersionPatcher"/>); and when its own probe fails, TorchSharp copies ~480 MB of libraries into
/// <c>bin/</c> or the NuGet cache. Loading libtorch.so ourselves first avoids both.</para>
/// <para>A CUDA libtorch is taken from the folder named by <c>DOP_LIBTORCH_DIR</c> (for example a PyTorch
/// install's <c>torch/lib</c>); otherwise libtorch comes from the host's native search directories (NuGet).</para>
/// Call <see cref="EnsureLoaded"/> once per process, before the first TorchSharp type is used.
/// </remarks>
public static class TorchNativeLoader
{
    /// <summary>Environment variable naming a folder with libtorch.so (e.g. a CUDA build) to load instead of NuGet's.</summary>
    public const string LibTorchDirVariable = "DOP_LIBTORCH_DIR";

    /// <summary>Environment variable naming the folder for the patched shim copy (default: the user's cache folder).</summary>
    public const string NativeCacheVariable = "DOP_NATIVE_CACHE";

    private const string ShimName = "libLibTorchSharp.so";

    // Process-wide by nature: a native library is loaded once per process. Lazy makes it thread-safe and one-shot.
    private static readonly Lazy<NativeLoadResult> Loaded = new(LoadCore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads the native libraries once; throws <see cref="DopException"/> (DOP001) naming what is missing.</summary>
    public static NativeLoadResult EnsureLoaded() => Loaded.Value;

    private static NativeLoadResult LoadCore()
    {
        if (!OperatingSystem.IsLinux())
        {
            // Other systems load TorchSharp's shim as shipped; nothing to work around there.
            return new NativeLoadResult(null, null, Patched: false, HeapAllocatorTuning.Outcome.NotGlibc);
        }

        // Before libtorch allocates anything; see HeapAllocatorTuning for the measured reason.
        var allocator = HeapAllocatorTuning.Apply(Environment.GetEnvironmentVariable);
        var searchDirectories = NativeSearchDirectories();
        var overrideDir = Environment.GetEnvironmentVariable(LibTorchDirVariable);
        string libtorch;
        if (!string.IsNullOrEmpty(overrideDir))
        {
            libtorch = Path.Combine(overrideDir, "libtorch.so");
            if (!File.Exists(libtorch))
            {
                throw new DopException(DiagnosticCodes.NativeLoad,
                    $"{LibTorchDirVariable} is set to '{overrideDir}' but that folder holds no libtorch.so. Point it at the lib/ folder of a libtorch (or PyTorch) build matching TorchSharp's libtorch version, or unset it.");
            }
        }
        else
        {
            libtorch = FindIn(searchDirectories, "libtorch.so") ?? throw new DopException(DiagnosticCodes.NativeLoad,
                "libtorch.so was not found in the native search directories of this process. Reference the package 'libtorch-cpu-linux-x64' (or TorchSharp-cpu), or set "
                + $"{LibTorchDirVariable} to a folder holding libtorch.so. Searched: {string.Join(", ", searchDirectories)}");
        }

        if (!TryLoad(libtorch, out _, out var libtorchError))
        {
            throw new DopException(DiagnosticCodes.NativeLoad, $"libtorch.so exists at '{libtorch}' but could not be loaded: {libtorchError}");
        }

        // A CUDA build splits its kernels into libtorch_cuda.so; load it so TorchSharp sees CUDA.
        var cuda = Path.Combine(Path.GetDirectoryName(libtorch)!, "libtorch_cuda.so");
        if (File.Exists(cuda))
        {
            NativeLibrary.TryLoad(cuda, out _);
        }

        var shim = FindIn(searchDirectories, ShimName) ?? throw new DopException(DiagnosticCodes.NativeLoad,
            $"TorchSharp's native shim {ShimName} was not found. Reference the package 'TorchSharp' ({BuiltAgainstTorchSharpVersion()}). Searched: {string.Join(", ", searchDirectories)}");

        var patched = false;
        if (!TryLoad(shim, out var handle, out var plainError))
        {
            var copy = PatchedShimCopy(shim);
            var copyError = string.Empty;
            if (copy is null || !TryLoad(copy, out handle, out copyError))
            {
                throw new DopException(DiagnosticCodes.NativeLoad,
                    $"TorchSharp's native shim '{shim}' could not be loaded: {plainError}"
                    + (copy is null ? string.Empty : $"; the copy with weak libstdc++ version requirements ('{copy}') failed too: {copyError}"));
            }

            patched = true;
        }

        var torchAssembly = typeof(TorchSharp.torch).Assembly;
        NativeLibrary.SetDllImportResolver(torchAssembly, (name, assembly, path) =>
            name is "LibTorchSharp" or "libLibTorchSharp" or ShimName ? handle : IntPtr.Zero);
        return new NativeLoadResult(libtorch, shim, patched, allocator);
    }

    /// <summary>Writes (once, atomically) a copy of the shim whose libstdc++ version requirements are weak.</summary>
    private static string? PatchedShimCopy(string shim)
    {
        var image = File.ReadAllBytes(shim);
        var weakened = ElfVersionPatcher.WeakenVersionRequirements(image, (file, _) => file.StartsWith("libstdc++", StringComparison.Ordinal));
        if (weakened.Count == 0)
        {
            return null;
        }

        // Keyed by the original's content, so a TorchSharp upgrade gets its own copy and a stale one is never used.
        var key = Convert.ToHexStringLower(SHA256.HashData(image))[..16];
        var folder = Path.Combine(CacheRoot(), "native", key);
        var target = Path.Combine(folder, ShimName);
        if (File.Exists(target))
        {
            return target;
        }

        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $"{ShimName}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, image);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    private static string CacheRoot()
    {
        var configured = Environment.GetEnvironmentVariable(NativeCacheVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "dopcompiler");
    }

    private static IReadOnlyList<string> NativeSearchDirectories()
    {
        var directories = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
        {
            directories.AddRange(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        // Published apps and `dotnet exec` with probing paths may keep natives beside the app or under runtimes/.
        directories.Add(AppContext.BaseDirectory);
        directories.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchDir))
        {
            // TorchSharp's own package folder: lib/net*/TorchSharp.dll -> runtimes/linux-x64/native.
            directories.Add(Path.GetFullPath(Path.Combine(torchDir, "..", "..", "runtimes", "linux-x64", "native")));
        }

        return directories.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The TorchSharp version this assembly was built against (its metadata, from Directory.Packages.props).</summary>
    private static string BuiltAgainstTorchSharpVersion() =>
        typeof(TorchNativeLoader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchSharpVersion")?.Value ?? "the version this tool was built against";

    private static string? FindIn(IEnumerable<string> directories, string fileName) =>
        directories.Select(d => Path.Combine(d, fileName)).FirstOrDefault(File.Exists);

    private static bool TryLoad(string path, out IntPtr handle, out string error)
    {
        try
        {
            // Load (not TryLoad) so the loader's own message (dlerror: which symbol or version is missing) is kept.
            handle = NativeLibrary.Load(path);
            error = string.Empty;
            return true;
        }
        catch (DllNotFoundException e)
        {
            handle = IntPtr.Zero;
            error = e.Message;
            return false;
        }
    }
}
