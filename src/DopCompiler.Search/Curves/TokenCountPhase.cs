using DopCompiler.Model.Pruning;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Curves;

/// <summary>The n_v phase: D(n_v), the divergence with only the first n_v image tokens kept and nothing else pruned.</summary>
internal static class TokenCountPhase
{
    public static TokenCountCurve Measure(SearchSetup setup, SearchContext context, int[] tokenCounts, ISearchProgress progress, SearchStatistics statistics)
    {
        // n_v varied alone (§3): only the first n_v image tokens in the ranking order enter the decoder.
        var groups = setup.Groups;
        var imageTokens = setup.ImageTokens;
        var evaluator = new PolicyEvaluator(context, statistics);
        var kl = new double[tokenCounts.Length];
        for (var i = 0; i < tokenCounts.Length; i++)
        {
            progress.Step("n_v curve", i, tokenCounts.Length);
            kl[i] = evaluator.MeanKl(ImageTokenSplit.Policy(DepthPolicy.Empty, groups, tokenCounts[i], imageTokens, setup.Layers),
                ImageTokenSplit.Groups(groups, tokenCounts[i], imageTokens));
        }

        progress.Step("n_v curve", tokenCounts.Length, tokenCounts.Length);
        return new TokenCountCurve(groups[ImageTokenSplit.ImageGroupIndex(groups)].Name, imageTokens, tokenCounts, kl);
    }
}
