namespace DopCompiler.Model.Tests;

/// <summary>A fact that runs only where glibc is (x86-64 Debian/Ubuntu layout), and is reported as skipped elsewhere.</summary>
public sealed class GlibcFactAttribute : FactAttribute
{
    public GlibcFactAttribute()
    {
        if (!File.Exists("/lib/x86_64-linux-gnu/libc.so.6") && !File.Exists("/usr/lib/x86_64-linux-gnu/libc.so.6"))
        {
            Skip = "not a glibc system (no x86_64-linux-gnu libc.so.6): nothing is tuned there, the outcome is NotGlibc";
        }
    }
}
