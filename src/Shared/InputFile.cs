using System.Runtime.InteropServices;

namespace DopCompiler;

/// <summary>
/// Every file DopCompiler reads must be a regular file. A named pipe (FIFO) in place of a checkpoint blocks the
/// first <c>open</c> forever and a device such as <c>/dev/zero</c> never ends, so readers ask here first and report a
/// coded error (<see cref="NotRegularCode"/>) instead. Compiled into each project that reads input (a linked file:
/// the Spec and Model projects do not reference each other).
/// </summary>
internal static class InputFile
{
    /// <summary>The diagnostic code for an input that exists but is not a regular file.</summary>
    public const string NotRegularCode = "DOP038";

    private const int TypeMask = 0xF000;
    private const int RegularType = 0x8000;

    /// <summary>
    /// Null when <paramref name="path"/> is a regular file (symbolic links followed) or does not exist (callers report
    /// a missing file their own way); otherwise what it is instead, for the message ("a named pipe (FIFO)").
    /// </summary>
    public static string? Irregularity(string path)
    {
        if (Directory.Exists(path))
        {
            return "a folder";
        }

        if (!File.Exists(path) || !OperatingSystem.IsLinux())
        {
            // Other systems: no stat layout known here; the package is Linux-only, the check is best effort elsewhere.
            return null;
        }

        var mode = ModeOf(path);
        if (mode is null || (mode.Value & TypeMask) == RegularType)
        {
            return null;
        }

        return (mode.Value & TypeMask) switch
        {
            0x1000 => "a named pipe (FIFO)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    /// <summary>The canonical message for <paramref name="irregularity"/>.</summary>
    public static string Message(string path, string irregularity) =>
        $"{path} is {irregularity}, not a regular file; DopCompiler reads only regular files (a pipe or device could block or never end)";

    /// <summary>
    /// <c>st_mode</c> from libc's <c>stat</c> (Linux's kernel ABI: offset 24 on x86-64, 16 on arm64), or null when it
    /// cannot be asked (another architecture, an old glibc without the <c>stat</c> symbol, a failed call).
    /// </summary>
    private static int? ModeOf(string path)
    {
        var offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0)
        {
            return null;
        }

        var buffer = new byte[256]; // struct stat is 144 (x86-64) or 128 (arm64) bytes
        try
        {
            return Stat(path, buffer) == 0 ? BitConverter.ToInt32(buffer, offset) : null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, [Out] byte[] buffer);
}
