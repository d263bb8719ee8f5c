using DopCompiler.Policy;
using DopCompiler.Search;

namespace DopCompiler.Cli.Reporting;

/// <summary>
/// What one report shows: the policy file (its shared sections: model, groups, curves), every policy chosen from it, and
/// every measured check.
/// </summary>
public sealed record ReportInput(PolicyDocument Document, IReadOnlyList<ChosenPolicy> Chosen, IReadOnlyList<MeasuredCheck> Checks)
{
    /// <summary>
    /// The report of a policy file: its policy (named after the budget), its measured KL as a check where measured, and
    /// the search's extra checks (<c>--random-policies</c>) when the search itself writes the report.
    /// </summary>
    public static ReportInput Of(PolicyDocument document, IEnumerable<ApproximationCheck>? extraChecks = null)
    {
        var chosen = new List<ChosenPolicy> { new(NameOf(document.Budget), document) };
        var checks = chosen
            .Where(c => c.Document.Divergence.MeasuredKl >= 0)
            .Select(c => new MeasuredCheck(c.Name, c.Document.Budget.FlopsFraction, c.Document.Divergence.PredictedKl, c.Document.Divergence.MeasuredKl, c.Accuracy))
            .ToList();
        checks.AddRange((extraChecks ?? []).Select(c => new MeasuredCheck(c.Policy, c.CostFraction, c.Predicted, c.Measured)));
        return new ReportInput(document, chosen, checks);
    }

    /// <summary>A single-budget policy is named after its budget (<c>fraction 0.14</c>), as the spec asked for it.</summary>
    private static string NameOf(PolicyBudget budget) =>
        budget.Kind is { Length: > 0 } kind ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind} {budget.Asked:0.####}") : "policy";
}
