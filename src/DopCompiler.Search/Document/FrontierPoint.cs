namespace DopCompiler.Search.Document;

/// <summary>One policy on a frontier: its decoder prefill FLOPs over the unpruned model's, and its predicted KL.</summary>
public sealed record FrontierPoint(double FlopsFraction, double PredictedKl);
