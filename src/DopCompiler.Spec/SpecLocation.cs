namespace DopCompiler.Spec;

/// <summary>A 1-based line and column in a spec file, for errors found after parsing (a device that is not there).</summary>
public readonly record struct SpecLocation(int Line, int Column);
