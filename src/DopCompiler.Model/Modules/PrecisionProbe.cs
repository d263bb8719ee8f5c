using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// Decides <c>precision: auto</c> per machine: times one matrix product in fp32 and in bf16 and chooses bf16 only
/// where it is clearly faster. The result is cached per machine (CPU model, cores, bf16 flags, probe version) in
/// <c>~/.cache/dopcompiler/precision/</c> (<c>DOP_PRECISION_CACHE</c> moves it), so the search, <c>dop eval</c> and the
/// generated class at run time make the same choice on the same machine without re-timing it.
/// </summary>
/// <remarks>
/// Why a probe and not the CPU flags alone: libtorch 2.10's bf16 products run 4× faster than fp32 with AVX-512-BF16
/// (measured here: 664–700 vs 152–155 GFLOP/s) and ~100× slower without it, but whether its kernels use the
/// instructions depends on the build and the CPU, which only timing shows.
/// </remarks>
public static class PrecisionProbe
{
    /// <summary>Bump when the measurement changes: cached results of other versions are re-measured.</summary>
    public const int Version = 1;

    /// <summary>bf16 must be at least this much faster: below it, its rounding is not worth the time.</summary>
    public const double RequiredSpeedup = 1.5;

    public const string CacheVariable = "DOP_PRECISION_CACHE";

    /// <summary>Environment variable a process using a generated class can set to <c>fp32</c> or <c>bf16</c> to skip the probe.</summary>
    public const string OverrideVariable = "DOP_PRECISION";

    /// <summary><c>auto</c> → null (probe), <c>fp32</c>/<c>bf16</c> → forced; anything else is false.</summary>
    public static bool TryParse(string? text, out ComputePrecision? forced)
    {
        forced = null;
        switch (text)
        {
            case null or "auto": return true;
            case "fp32": forced = ComputePrecision.Fp32; return true;
            case "bf16": forced = ComputePrecision.Bf16; return true;
            default: return false;
        }
    }

    /// <summary>The precision for a request: <paramref name="forced"/> when given, else the machine's cached or measured choice.</summary>
    public static (ComputePrecision Precision, PrecisionProbeResult? Probe) Resolve(ComputePrecision? forced, string? cacheFolder = null)
    {
        if (forced is { } precision)
        {
            return (precision, null);
        }

        var probe = Cached(cacheFolder);
        return (probe.Choice, probe);
    }

    /// <summary>The cached result for this machine, or a fresh measurement written to the cache (atomically).</summary>
    public static PrecisionProbeResult Cached(string? cacheFolder = null)
    {
        var machine = MachineIdentity();
        var folder = cacheFolder ?? Environment.GetEnvironmentVariable(CacheVariable)
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dopcompiler", "precision");
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(machine)))[..16].ToLowerInvariant();
        var path = Path.Combine(folder, key + ".json");
        try
        {
            if (File.Exists(path) && JsonSerializer.Deserialize<PrecisionProbeResult>(File.ReadAllText(path)) is { } cached
                && cached.Machine == machine && cached.Version == Version)
            {
                return cached;
            }
        }
        catch (JsonException)
        {
            // A damaged cache file is measured again and overwritten.
        }

        var result = Measure(machine);
        try
        {
            Directory.CreateDirectory(folder);
            var temp = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(result));
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // An unwritable cache only costs the next process another probe.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }

        return result;
    }

    /// <summary>
    /// Times y = x·Wᵀ for x [128, 1024], W [1024, 1024] (0.27 GFLOP) in both dtypes, fastest of 7 after a warm-up
    /// (the fastest, not the median: on a busy machine other processes only ever add time, and the ratio is what
    /// decides); bf16 stops after one run when it is already 10× slower (a CPU without bf16 takes ~0.3 s per run).
    /// </summary>
    public static PrecisionProbeResult Measure(string? machine = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var generator = new Generator(0).manual_seed(1);
        var x = randn([128, 1024], generator: generator);
        var w = randn([1024, 1024], generator: generator);
        const double flops = 2.0 * 128 * 1024 * 1024;
        var fp32 = FastestSeconds(x, w, 7, double.PositiveInfinity);
        var bf16 = FastestSeconds(x.to_type(ScalarType.BFloat16), w.to_type(ScalarType.BFloat16), 7, 10 * fp32);
        return new PrecisionProbeResult(machine ?? MachineIdentity(), Version, flops / fp32 / 1e9, flops / bf16 / 1e9);
    }

    /// <summary>CPU model, core count and whether /proc/cpuinfo lists bf16 instructions: a changed machine is probed anew.</summary>
    public static string MachineIdentity()
    {
        var cpu = "unknown-cpu";
        var flags = string.Empty;
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && cpu == "unknown-cpu")
                {
                    cpu = line[(line.IndexOf(':') + 1)..].Trim();
                }
                else if (line.StartsWith("flags", StringComparison.Ordinal) && flags.Length == 0)
                {
                    var all = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    flags = string.Join(",", all.Where(f => f.Contains("bf16", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
                }
            }
        }
        catch (IOException)
        {
            // Not Linux or not readable: the core count and the probe itself still decide.
        }

        return string.Create(CultureInfo.InvariantCulture, $"{cpu}; cores={Environment.ProcessorCount}; threads={get_num_threads()}; flags={flags}");
    }

    private static double FastestSeconds(Tensor x, Tensor w, int runs, double giveUpAfter)
    {
        using (nn.functional.linear(x, w))
        {
            // warm-up: kernel selection and first-touch of buffers
        }

        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using (nn.functional.linear(x, w))
            {
            }

            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            if (times[^1] > giveUpAfter)
            {
                break;
            }
        }

        return times.Min();
    }
}
