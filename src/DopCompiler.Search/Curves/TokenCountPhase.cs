using DopCompiler.Model.Pruning;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Curves;

/// <summary>The n_v phase: D(n_v), the divergence with only the first n_v image tokens kept and nothing else pruned.</summary>
internal static class TokenCountPhase
{
    /// <summary>One point of the n_v curve: only the first <paramref name="count"/> image tokens in the ranking order enter the decoder (§3).</summary>
    public static double MeanKl(PolicyEvaluator evaluator, IReadOnlyList<GroupDefinition> groups, int count, int imageTokens, int layers) =>
        evaluator.MeanKl(ImageTokenSplit.Policy(DepthPolicy.Empty, groups, count, imageTokens, layers), ImageTokenSplit.Groups(groups, count, imageTokens));

    /// <summary>The n_v curve from its measured points (every count of the grid must be there).</summary>
    public static TokenCountCurve Assemble(IReadOnlyList<GroupDefinition> groups, int imageTokens, int[] tokenCounts, IReadOnlyDictionary<CurvePointId, double> measured)
    {
        var group = ImageGroupName(groups);
        return new TokenCountCurve(group, imageTokens, tokenCounts, tokenCounts.Select(c => measured[new CurvePointId(CurvePointId.TokenCount, group, c)]).ToArray());
    }

    /// <summary>The group whose tokens n_v counts.</summary>
    public static string ImageGroupName(IReadOnlyList<GroupDefinition> groups) => groups[ImageTokenSplit.ImageGroupIndex(groups)].Name;
}
