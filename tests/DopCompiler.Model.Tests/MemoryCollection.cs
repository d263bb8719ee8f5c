namespace DopCompiler.Model.Tests;

/// <summary>Tests that read the process's memory counters run alone: other tests' allocations would show in them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "process memory";
}
