using System.Globalization;

namespace DopCompiler.Search.Curves;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> of a search's curve points (<c>dop search --shard i/n</c>, i from 1):
/// the points listed by <see cref="CurvePointId.All"/> go round-robin, point k (from 0) to shard (k mod n) + 1, so the
/// shards are disjoint, together hold every point, and each gets a similar mix of cheap (shallow) and dear (deep) points.
/// </summary>
public sealed record CurveShard(int Index, int Count)
{
    /// <summary>Whether the point at <paramref name="position"/> in <see cref="CurvePointId.All"/> belongs to this shard.</summary>
    public bool Owns(int position) => position % Count == Index - 1;

    /// <summary>Parses <c>i/n</c> with 1 ≤ i ≤ n; null and a reason otherwise.</summary>
    public static CurveShard? TryParse(string text, out string error)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            error = $"--shard '{text}' is not i/n (two whole numbers, e.g. 2/3)";
            return null;
        }

        if (count < 1 || index < 1 || index > count)
        {
            error = $"--shard '{text}': i must be between 1 and n, and n at least 1";
            return null;
        }

        error = "";
        return new CurveShard(index, count);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
