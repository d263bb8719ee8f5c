using System.Diagnostics;

namespace DopCompiler.Bench;

/// <summary>Interleaved timing: each round runs every variant once, so machine drift hits all alike; medians reported.</summary>
public static class Timing
{
    public static double[] InterleavedMedians(int rounds, int warmup, params Action[] variants)
    {
        var samples = variants.Select(_ => new List<double>()).ToArray();
        for (var round = -warmup; round < rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var start = Stopwatch.GetTimestamp();
                variants[v]();
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (round >= 0)
                {
                    samples[v].Add(elapsed);
                }
            }
        }

        return samples.Select(s => DopCompiler.Search.Timing.SampleStatistics.Median(s)).ToArray();
    }
}
