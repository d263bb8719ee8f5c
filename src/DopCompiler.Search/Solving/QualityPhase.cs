using System.Globalization;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Evaluation;
using DopCompiler.Spec;

namespace DopCompiler.Search.Solving;

/// <summary>
/// Phase 3 of <see cref="DopSearch"/> for a quality target (<c>max_accuracy_drop</c>, <c>max_kl</c>) instead of
/// <see cref="SolvePhase"/>: the solver's whole frontier (<see cref="PolicyFrontier"/>), cheapest first in the target's
/// price, walked by bisection (<see cref="FrontierWalk"/>, which assumes measured quality improves with cost along it),
/// each candidate measured with the real pruned model on the validation set; the cheapest one meeting the target wins.
/// </summary>
internal static class QualityPhase
{
    /// <summary>
    /// The one entry point per quality target: <paramref name="budget"/> is that target (its value already overridden by
    /// <c>--budget</c> where given), <paramref name="entry"/> and <paramref name="pricing"/> the curves and prices the
    /// search shares between budgets (priced in the target's <see cref="BudgetSpec.Price"/>).
    /// </summary>
    public static SolvedPolicy Run(SearchSetup setup, BudgetSpec budget, CurveCacheEntry entry, SearchPricing pricing, SearchWorkspace workspace,
        ISearchProgress progress, SearchStatistics statistics)
    {
        var (groups, imageTokens, layers) = (setup.Groups, setup.ImageTokens, setup.Layers);
        var frontier = PolicyFrontier.Of(entry, pricing, layers, setup.FixedImageTokens);
        var context = workspace.PrepareContext();
        var kl = new PolicyEvaluator(context, statistics);
        var answers = budget.Kind == BudgetKind.MaxAccuracyDrop ? new AnswerEvaluator(context, setup.Spec.Model, setup.Validation.Samples, statistics) : null;
        var samples = context.Samples.Count;
        var word = BudgetValue.KindWord(budget.Kind);
        var priceWord = budget.Price == BudgetPrice.Latency ? "predicted time" : "FLOPs";
        var unprunedFlops = pricing.FlopsCost.Of(DepthPolicy.Empty);
        progress.Info(string.Create(CultureInfo.InvariantCulture, $"quality target {word} {budget.Value:0.####}: the frontier holds {frontier.Count} policies priced in {priceWord} "
            + $"({frontier[0].Solution.Cost / pricing.Unpruned:0.###} to 1 of the unpruned cost); bisecting it, assuming measured quality improves with cost along it"));

        double? unprunedAccuracy = null;
        if (answers is not null)
        {
            unprunedAccuracy = answers.Accuracy(null, groups);
            progress.Info(string.Create(CultureInfo.InvariantCulture, $"unpruned exact-match accuracy on the {samples} validation answers: {unprunedAccuracy:0.0000}"));
        }

        var perSample = new Dictionary<int, double[]>();
        var candidates = new List<QualityCandidate>();
        var steps = (int)Math.Ceiling(Math.Log2(Math.Max(2, frontier.Count)));
        double Measure(int position)
        {
            progress.Step("quality target", candidates.Count, steps);
            var point = frontier[position];
            var (policy, splitGroups) = Expand(point, groups, imageTokens, layers);
            double value;
            if (answers is not null)
            {
                value = unprunedAccuracy!.Value - answers.Accuracy(policy, splitGroups);
            }
            else
            {
                perSample[position] = kl.SampleKls(policy, splitGroups);
                value = PolicyEvaluator.Mean(perSample[position]);
            }

            var candidate = new QualityCandidate(position, Describe(point, imageTokens), point.Solution.Cost / pricing.Unpruned,
                FlopsOf(point, pricing, imageTokens, layers) / unprunedFlops, value, FrontierWalk.Meets(value, budget.Value));
            candidates.Add(candidate);
            progress.Info(string.Create(CultureInfo.InvariantCulture, $"candidate {candidates.Count}: {candidate.Policy} at {candidate.CostFraction:0.###} of the unpruned {priceWord} "
                + $"(FLOPs {candidate.FlopsFraction:0.###}): {(answers is null ? "KL" : "drop")} {value:0.#####} {(candidate.Meets ? "meets" : "misses")} {budget.Value:0.####}"));
            return value;
        }

        // The walk takes the dearest point to meet the target unmeasured; only the unpruned model surely does. At an image-token
        // count an earlier variant fixed, the dearest point prunes tokens, so it is measured first.
        var fullTokens = entry.TokenCounts?.ImageTokens ?? int.MaxValue;
        var walk = PolicyFrontier.IsUnpruned(frontier[^1], fullTokens) || FrontierWalk.Meets(Measure(frontier.Count - 1), budget.Value)
            ? FrontierWalk.Bisect(frontier.Count, Measure, budget.Value)
            : new FrontierWalkResult(frontier.Count - 1, []);
        if (!PolicyFrontier.IsUnpruned(frontier[^1], fullTokens) && !candidates[0].Meets)
        {
            progress.Warning(Model.DiagnosticCodes.BudgetUnreachable, string.Create(CultureInfo.InvariantCulture,
                $"{word} {budget.Value:0.####} cannot be met at the image-token count {frontier[^1].KeptImageTokens} the first budget chose (nothing else pruned: {candidates[0].Measured:0.#####}); using that policy"));
        }

        progress.Step("quality target", steps, steps);
        var chosen = frontier[walk.Chosen];
        var measured = walk.ChosenValue ?? candidates.LastOrDefault(c => c.Position == walk.Chosen)?.Measured ?? 0;
        var standardError = answers is not null
            ? QualityMargin.AccuracyDifference(unprunedAccuracy!.Value, budget.Value, samples)
            : perSample.TryGetValue(walk.Chosen, out var values) ? QualityMargin.OfMean(values) : 0;
        var outcome = new QualityOutcome
        {
            Kind = budget.Kind,
            Target = budget.Value,
            Price = budget.Price,
            Measured = measured,
            UnprunedAccuracy = unprunedAccuracy,
            Samples = samples,
            StandardError = standardError,
            FrontierSize = frontier.Count,
            Chosen = walk.Chosen,
            Candidates = candidates,
        };
        progress.Info(string.Create(CultureInfo.InvariantCulture, $"chose {Describe(chosen, imageTokens)} at {chosen.Solution.Cost / pricing.Unpruned:0.###} of the unpruned {priceWord} "
            + $"(FLOPs {FlopsOf(chosen, pricing, imageTokens, layers) / unprunedFlops:0.###}) after measuring {candidates.Count} of {frontier.Count} frontier policies: "
            + $"{word} {measured:0.#####} (target {budget.Value:0.####})"));
        progress.Info(MarginText(outcome));
        return new SolvedPolicy(chosen.Solution, chosen.KeptImageTokens) { Quality = outcome };
    }

    /// <summary>The statistical caveat, in words: the N-based standard error, the 95% margin and, when the target is inside it, the N that would clear it.</summary>
    public static string MarginText(QualityOutcome outcome)
    {
        if (outcome.Kind == BudgetKind.MaxAccuracyDrop)
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"statistical margin: with N = {outcome.Samples} validation samples the standard error of an accuracy difference is "
                + $"{outcome.StandardError * 100:0.##} points (95% margin ±{outcome.Margin95 * 100:0.##} points)");
            return outcome.TargetBelowMargin
                ? text + string.Create(CultureInfo.InvariantCulture, $"; the {outcome.Target * 100:0.##}-point target is below it, so whether a policy meets it is mostly noise at this N "
                    + $"(about {QualityMargin.SamplesFor(outcome.UnprunedAccuracy ?? 1, outcome.Target)} samples would put the 95% margin at the target)")
                : text;
        }

        var kl = string.Create(CultureInfo.InvariantCulture, $"statistical margin: with N = {outcome.Samples} validation samples the chosen policy's mean KL has a standard error of {outcome.StandardError:0.#####} "
            + $"(95% margin ±{outcome.Margin95:0.#####})");
        return outcome.TargetBelowMargin ? kl + string.Create(CultureInfo.InvariantCulture, $"; the target {outcome.Target:0.#####} is below it: more validation samples would make the choice less noisy") : kl;
    }

    /// <summary>The depth policy and groups a frontier point is measured with (an n_v below the full count becomes a split).</summary>
    private static (DepthPolicy Policy, IReadOnlyList<GroupDefinition> Groups) Expand(FrontierPoint point, IReadOnlyList<GroupDefinition> groups, int imageTokens, int layers) =>
        point.KeptImageTokens < imageTokens
            ? (ImageTokenSplit.Policy(point.Solution.Policy, groups, point.KeptImageTokens, imageTokens, layers), ImageTokenSplit.Groups(groups, point.KeptImageTokens, imageTokens))
            : (point.Solution.Policy, groups);

    private static double FlopsOf(FrontierPoint point, SearchPricing pricing, int imageTokens, int layers) =>
        SearchPricing.ScaledCost(new FlopsCostModel(pricing.FlopsModel), pricing.Layout, point.KeptImageTokens, imageTokens, layers).Of(point.Solution.Policy);

    private static string Describe(FrontierPoint point, int imageTokens) =>
        DopSearch.Describe(point.Solution.Policy) + (point.KeptImageTokens < imageTokens ? $" n_v={point.KeptImageTokens}" : "");
}
