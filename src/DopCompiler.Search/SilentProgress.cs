namespace DopCompiler.Search;

/// <summary>Reports nothing (tests).</summary>
public sealed class SilentProgress : ISearchProgress
{
    public void Info(string message)
    {
    }

    public void Step(string phase, int done, int total)
    {
    }

    public void Warning(string code, string message)
    {
    }
}
