using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DopCompiler.Spec.Parsing;

/// <summary>Builds <see cref="YNode"/> trees from YamlDotNet's parser events (line and column for every node).</summary>
internal static class YamlLoader
{
    /// <summary>
    /// The deepest nesting a spec may have. A valid spec nests at most four levels; the limit stops a hostile or broken
    /// file (thousands of <c>[</c> or indented keys) before the recursive walk below overflows the stack.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>The first document's root, or null for an empty stream; throws <see cref="YamlException"/> on bad syntax.</summary>
    public static YNode? Load(string text)
    {
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            return Load(parser);
        }
        catch (Exception e) when (e is not YamlException)
        {
            // YamlDotNet's scanner throws InvalidOperationException on some malformed input; place it after the last good event.
            throw new YamlException(parser.LastEnd, parser.LastEnd, "cannot parse past this point (an unclosed bracket, brace or quote?)");
        }
    }

    private static YNode? Load(IParser parser)
    {
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        parser.Consume<StreamStart>();
        if (parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }

        parser.Consume<DocumentStart>();
        var root = ReadNode(parser, anchors, 1);
        parser.Consume<DocumentEnd>();
        if (!parser.Accept<StreamEnd>(out _))
        {
            var next = parser.Current!;
            throw new YamlException(next.Start, next.End, "only one YAML document is allowed in a spec");
        }

        return root;
    }

    private static YNode ReadNode(IParser parser, Dictionary<string, YNode> anchors, int depth)
    {
        if (depth > MaxDepth && parser.Current is { } deep)
        {
            throw new YamlException(deep.Start, deep.End, $"the spec nests deeper than {MaxDepth} levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias '*{alias.Value.Value}'");
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            node = new YScalar((int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, scalar.Style == ScalarStyle.Plain);
            anchor = scalar.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, depth + 1));
            }

            node = new YSequence((int)sequenceStart.Start.Line, (int)sequenceStart.Start.Column, items);
            anchor = sequenceStart.Anchor;
        }
        else if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            var entries = new List<KeyValuePair<YNode, YNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, anchors, depth + 1);
                var value = ReadNode(parser, anchors, depth + 1);
                entries.Add(new(key, value));
            }

            node = new YMapping((int)mappingStart.Start.Line, (int)mappingStart.Start.Column, entries);
            anchor = mappingStart.Anchor;
        }
        else
        {
            var current = parser.Current!;
            throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        return node;
    }
}
