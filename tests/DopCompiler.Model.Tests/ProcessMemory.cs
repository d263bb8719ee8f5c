using System.Globalization;

namespace DopCompiler.Model.Tests;

/// <summary>The process's resident-set counters from /proc/self/status (Linux), with the peak reset through clear_refs.</summary>
public static class ProcessMemory
{
    /// <summary>Resets the peak resident set (VmHWM) to the current one.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    public static long ResidentBytes() => Read("VmRSS");

    public static long PeakResidentBytes() => Read("VmHWM");

    private static long Read(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                var kilobytes = line[(key.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {key}");
    }
}
