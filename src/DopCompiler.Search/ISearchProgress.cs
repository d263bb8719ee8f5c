namespace DopCompiler.Search;

/// <summary>Where the search reports what it is doing (the CLI prints <c>dop: </c> lines on stderr).</summary>
public interface ISearchProgress
{
    /// <summary>A phase starts or a notable fact (one line).</summary>
    void Info(string message);

    /// <summary>Step <paramref name="done"/> of <paramref name="total"/> in the current phase, with an ETA.</summary>
    void Step(string phase, int done, int total);

    /// <summary>A warning with a <c>DOP0xx</c> code (printed in canonical form so builds show it as a warning).</summary>
    void Warning(string code, string message);
}
