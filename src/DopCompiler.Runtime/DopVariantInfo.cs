namespace DopCompiler.Runtime;

/// <summary>
/// What one variant of a class with several budgets asked and reached, as its policy file records it: the budget's
/// <paramref name="Name"/> in the spec, its kind (<c>fraction</c>, <c>tflops</c>, <c>latency_fraction</c>, ...), the value
/// asked and reached in that kind's unit, the decoder prefill FLOPs over the unpruned model's, and the divergence
/// predicted and measured (negative when not measured).
/// </summary>
public sealed record DopVariantInfo(string Name, string BudgetKind, double BudgetAsked, double BudgetReached, double FlopsFraction, double PredictedKl, double MeasuredKl);
