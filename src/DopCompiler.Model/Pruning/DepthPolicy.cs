namespace DopCompiler.Model.Pruning;

/// <summary>
/// The depth-wise policy of the method (§3): per (module, group) the number of deepest layers in which the
/// operation is pruned. Groups not listed are never pruned.
/// </summary>
public sealed record DepthPolicy(IReadOnlyDictionary<string, int> AttentionDepth, IReadOnlyDictionary<string, int> MlpDepth)
{
    public static DepthPolicy Empty { get; } = new(new Dictionary<string, int>(), new Dictionary<string, int>());

    /// <summary>The operation mask for <paramref name="layers"/> layers and a layout's groups; DOP006 on a bad depth.</summary>
    public OperationMask ToMask(IReadOnlyList<string> groups, int layers)
    {
        var mask = OperationMask.KeepAll(groups, layers);
        foreach (var (depths, attention) in new[] { (AttentionDepth, true), (MlpDepth, false) })
        {
            foreach (var (group, depth) in depths)
            {
                var g = IndexOf(groups, group);
                if (depth < 0 || depth > layers)
                {
                    throw new DopException(DiagnosticCodes.PolicyMismatch, $"depth {depth} for group '{group}' is outside 0..{layers}");
                }

                if (g < 0)
                {
                    if (depth == 0)
                    {
                        continue;
                    }

                    throw new DopException(DiagnosticCodes.PolicyMismatch, $"the policy prunes group '{group}', which the prompt layout does not have ({string.Join(", ", groups)})");
                }

                for (var l = layers - depth; l < layers; l++)
                {
                    if (attention)
                    {
                        mask.SetAttention(l, g, false);
                    }
                    else
                    {
                        mask.SetMlp(l, g, false);
                    }
                }
            }
        }

        return mask;
    }

    private static int IndexOf(IReadOnlyList<string> groups, string name)
    {
        for (var i = 0; i < groups.Count; i++)
        {
            if (groups[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
