namespace DopCompiler.Search;

/// <summary>A token group as the search sees it: name, prompt part, prunable, and the share of image tokens for [CLS] splits.</summary>
public sealed record GroupDefinition(string Name, string Source, bool Prunable, double ImageFraction = 0);
