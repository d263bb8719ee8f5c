using DopCompiler.Model.Native;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

public sealed class NativeLoaderTests
{
    [Fact]
    public void TorchSharpRunsAfterTheLoader()
    {
        var result = TorchNativeLoader.EnsureLoaded();
        Assert.NotNull(result.LibTorchPath);
        using var t = ones(3, 3);
        Assert.Equal(9f, t.sum().item<float>());
    }

    [Fact]
    public void PatcherWeakensOnlyTheRequestedRequirementsInACopy()
    {
        var shim = TorchNativeLoader.EnsureLoaded().ShimPath!;
        var original = File.ReadAllBytes(shim);
        var image = (byte[])original.Clone();
        var patched = ElfVersionPatcher.WeakenVersionRequirements(image, (file, _) => file.StartsWith("libstdc++", StringComparison.Ordinal));

        Assert.Contains("GLIBCXX_3.4.32", patched);
        Assert.All(patched, name => Assert.True(name.StartsWith("GLIBCXX_", StringComparison.Ordinal) || name.StartsWith("CXXABI_", StringComparison.Ordinal), name));
        var changed = Enumerable.Range(0, image.Length).Where(i => image[i] != original[i]).ToArray();
        Assert.NotEmpty(changed);
        // Only flag bytes change: one byte per weakened requirement (bit 0x2 set).
        Assert.True(changed.Length <= patched.Count);
        Assert.All(changed, i => Assert.Equal(original[i] | 0x2, image[i]));
        Assert.Equal(original, File.ReadAllBytes(shim));
    }

    [Fact]
    public void PatcherIgnoresNonElfBytes()
    {
        var bytes = new byte[128];
        Assert.Empty(ElfVersionPatcher.WeakenVersionRequirements(bytes, (_, _) => true));
    }
}
