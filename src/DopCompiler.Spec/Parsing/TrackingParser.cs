using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DopCompiler.Spec.Parsing;

/// <summary>Remembers where the last successfully parsed event ended, to place errors the scanner does not locate.</summary>
internal sealed class TrackingParser(IParser inner) : IParser
{
    public Mark LastEnd { get; private set; } = new(0, 1, 1);

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (inner.Current is { } current)
        {
            LastEnd = current.End;
        }

        return inner.MoveNext();
    }
}
