using System.Runtime.CompilerServices;
using System.Text;

namespace DopCompiler.Generator.Tests;

/// <summary>Checked-in test data; <c>DOP_UPDATE_GOLDEN=1</c> rewrites it from the current code instead of comparing.</summary>
internal static class TestData
{
    public static bool Update => Environment.GetEnvironmentVariable("DOP_UPDATE_GOLDEN") == "1";

    public static string Folder { get; } = Path.Combine(SourceFolder(), "TestData");

    public static string PolicyText(string fileName) => File.ReadAllText(Path.Combine(Folder, fileName));

    /// <summary>Asserts <paramref name="actual"/> equals the checked-in file byte for byte (or rewrites it in update mode).</summary>
    public static void AssertMatches(string relativePath, byte[] actual)
    {
        var path = Path.Combine(Folder, relativePath);
        if (Update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests with DOP_UPDATE_GOLDEN=1 to create it");
        var expected = File.ReadAllBytes(path);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            // Show the first differing line, not two walls of text.
            var e = Encoding.UTF8.GetString(expected).Split('\n');
            var a = Encoding.UTF8.GetString(actual).Split('\n');
            var i = 0;
            while (i < Math.Min(e.Length, a.Length) && e[i] == a[i])
            {
                i++;
            }

            Assert.Fail($"{relativePath} differs at line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<end>")}\n  actual:   {(i < a.Length ? a[i] : "<end>")}\n"
                + "If the change is intended, run the tests with DOP_UPDATE_GOLDEN=1 and review the diff.");
        }
    }

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
