namespace DopCompiler.Spec;

/// <summary>What the search does when the budget is below the cheapest policy's cost.</summary>
public enum UnreachableBudget
{
    /// <summary>Error DOP041 and no policy: a build must not ship a model pruned past usefulness unnoticed.</summary>
    Error,

    /// <summary>Warning DOP041 and the cheapest policy (the behaviour before <c>on_unreachable</c> existed).</summary>
    Cheapest,
}
