namespace ShapesVlm.Data;

/// <summary>SplitMix64 generator: a fixed, documented algorithm so a seed gives the same data on every runtime.</summary>
/// <remarks>System.Random is avoided on purpose: its algorithm is an implementation detail that may change.</remarks>
public sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Starts a generator at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        // Lemire's multiply-shift with rejection keeps the result unbiased.
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold)
            {
                return (int)(ulong)(m >> 64);
            }
        }
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int NextInclusive(int min, int max) => min + NextInt(max - min + 1);

    /// <summary>A fair coin.</summary>
    public bool NextBool() => (NextUInt64() >> 63) != 0;

    /// <summary>Picks one element uniformly.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[NextInt(items.Count)];

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The SplitMix64 finaliser: a good 64-bit hash, used to derive independent seeds.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Derives a seed for stream <paramref name="index"/> of <paramref name="seed"/>, so samples can be made independently.</summary>
    public static ulong Derive(ulong seed, ulong index) => Mix(Mix(seed ^ 0x5DEECE66DUL) + (index * 0x9E3779B97F4A7C15UL) + 1UL);
}
