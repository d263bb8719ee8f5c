namespace DopCompiler.Model.Flops;

/// <summary>Tokens one layer processes: queries, keys/values, MLP rows.</summary>
public readonly record struct LayerTokenCounts(long Queries, long KeyValues, long MlpTokens);
