using DopCompiler.Policy;

namespace DopCompiler.Cli.Reporting;

/// <summary>
/// One policy the search chose, as a one-policy document: the file's only policy, or one named variant of a file with
/// several budgets. <see cref="Accuracy"/> is the exact-match accuracy on the validation answers where it was measured.
/// </summary>
public sealed record ChosenPolicy(string Name, PolicyDocument Document, double? Accuracy = null);
