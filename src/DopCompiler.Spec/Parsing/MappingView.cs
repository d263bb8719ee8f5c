using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Parsing;

/// <summary>The known keys of a checked mapping; a key with a null value counts as absent.</summary>
internal sealed class MappingView(YMapping node, Dictionary<string, (YScalar Key, YNode Value)> entries, List<string> order)
{
    public YMapping Node { get; } = node;

    /// <summary>Known keys in the order they were written.</summary>
    public IReadOnlyList<string> Keys { get; } = order;

    public YNode? this[string key] =>
        entries.TryGetValue(key, out var entry) && entry.Value is not YScalar { IsNull: true } ? entry.Value : null;

    public YScalar KeyNode(string key) => entries[key].Key;

    public bool HasKey(string key) => entries.ContainsKey(key);

    /// <summary>Known keys that an unknown key was reported as a likely typo of: a "missing key" error for them would only repeat it.</summary>
    public IReadOnlySet<string> SuggestedKeys { get; init; } = new HashSet<string>();
}
