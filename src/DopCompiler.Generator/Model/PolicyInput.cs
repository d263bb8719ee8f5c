namespace DopCompiler.Generator.Model
{
    /// <summary>
    /// One AdditionalFiles item marked <c>DopPolicy="true"</c>: its metadata and its text (null when the file is absent
    /// or unreadable). <c>ModelFolder</c> is the <c>DopModelFolder</c> metadata, <c>Stale</c> the <c>DopStale</c> metadata (why
    /// the last search failed; the policy is the last good one). Plain strings only, so equal inputs compare equal and later steps are cached.
    /// </summary>
    internal sealed record PolicyInput(
        string Path,
        string FileName,
        string? Text,
        string? ClassName,
        string? Namespace,
        string? Visibility,
        string? ModelName,
        string? RootNamespace,
        string? ModelFolder = null,
        string? Stale = null);
}
