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
    /// The report of a policy file: every variant of a <c>budgets:</c> file (by its name, in spec order) or its one policy
    /// (named after the budget), each one's measured KL as a check where measured, and the search's extra checks
    /// (<c>--random-policies</c>) when the search itself writes the report.
    /// </summary>
    public static ReportInput Of(PolicyDocument document, IEnumerable<ApproximationCheck>? extraChecks = null)
    {
        var chosen = document.Variants is { Count: > 0 } variants
            ? variants.Select(v => ChosenOf(v.Name, document.VariantDocument(v.Name)!)).ToList()
            : [ChosenOf(NameOf(document.Budget), document)];
        var checks = chosen
            .Where(c => c.Document.Divergence.MeasuredKl >= 0)
            .Select(c => new MeasuredCheck(c.Name, c.Document.Budget.FlopsFraction, c.Document.Divergence.PredictedKl, c.Document.Divergence.MeasuredKl, c.Accuracy))
            .ToList();
        checks.AddRange((extraChecks ?? []).Select(c => new MeasuredCheck(c.Policy, c.CostFraction, c.Predicted, c.Measured)));
        return new ReportInput(document, chosen, checks);
    }

    /// <summary>
    /// A chosen policy with its validation accuracy where the search measured it: a <c>max_accuracy_drop</c> target measures
    /// the unpruned accuracy and the chosen policy's drop from it.
    /// </summary>
    private static ChosenPolicy ChosenOf(string name, PolicyDocument document) =>
        new(name, document, document.Quality is { Kind: "max_accuracy_drop", UnprunedAccuracy: { } unpruned } quality ? unpruned - quality.Measured : null);

    /// <summary>A single-budget policy is named after its budget (<c>fraction 0.14</c>), as the spec asked for it.</summary>
    private static string NameOf(PolicyBudget budget) =>
        budget.Kind is { Length: > 0 } kind ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind} {budget.Asked:0.####}") : "policy";
}
