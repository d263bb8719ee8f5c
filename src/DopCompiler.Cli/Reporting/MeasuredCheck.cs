namespace DopCompiler.Cli.Reporting;

/// <summary>
/// A policy whose joint KL was measured on the validation set (a chosen policy, a candidate a quality target measured,
/// a random policy of <c>--random-policies</c>): drawn as a point beside the predicted frontier.
/// </summary>
public sealed record MeasuredCheck(string Label, double FlopsFraction, double PredictedKl, double MeasuredKl, double? Accuracy = null);
