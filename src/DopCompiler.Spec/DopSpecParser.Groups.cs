using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// 'groups' and 'modules': what may be pruned.
public static partial class DopSpecParser
{
    private static readonly string[] GroupKeys = ["name", "source", "prunable", "cls_split", "ranking"];

    private static readonly string[] ClsSplitKeys = ["key_fraction"];

    private static readonly (string, TokenSource)[] Sources =
        [("system", TokenSource.System), ("image", TokenSource.Image), ("text", TokenSource.Text)];

    private static readonly (string, PrunableModule)[] ModuleWords =
        [("attention", PrunableModule.Attention), ("mlp", PrunableModule.Mlp)];

    private static readonly (string, ImageRanking)[] RankingWords = [("cls", ImageRanking.Cls), ("spread", ImageRanking.Spread)];

    private sealed partial class SpecBuilder
    {
        private EquatableArray<TokenGroupSpec>? Groups(YNode? node)
        {
            var bySource = new Dictionary<TokenSource, TokenGroupSpec>();
            if (node is not null)
            {
                if (node is not YSequence list)
                {
                    reader.Report(SpecDiagnosticCodes.WrongType, node, $"'groups' must be a list of groups, found {node.KindName}.");
                    return null;
                }

                var names = new Dictionary<string, YNode>(StringComparer.Ordinal);
                var ok = true;
                foreach (var item in list.Items)
                {
                    if (Group(item) is not { } parsed)
                    {
                        ok = false;
                        continue;
                    }

                    var (group, nameNode, sourceNode) = parsed;
                    if (bySource.ContainsKey(group.Source))
                    {
                        reader.Report(SpecDiagnosticCodes.DuplicateGroup, sourceNode, $"Two groups take their tokens from source '{SourceWord(group.Source)}'.");
                        ok = false;
                        continue;
                    }

                    foreach (var resolved in group.ResolvedNames)
                    {
                        if (!names.TryAdd(resolved, nameNode))
                        {
                            reader.Report(SpecDiagnosticCodes.DuplicateGroup, nameNode, $"Group name '{resolved}' is used twice.");
                            ok = false;
                        }
                    }

                    bySource[group.Source] = group;
                }

                if (!ok)
                {
                    return null;
                }

                // A source the list leaves out still has positions: it becomes a group of its own with default settings.
                foreach (var (word, source) in Sources)
                {
                    if (!bySource.ContainsKey(source) && names.ContainsKey(word))
                    {
                        reader.Report(SpecDiagnosticCodes.DuplicateGroup, names[word], $"Group name '{word}' is the default name of the unlisted source '{word}'; list that source too.");
                        return null;
                    }
                }
            }

            foreach (var (word, source) in Sources)
            {
                bySource.TryAdd(source, new TokenGroupSpec { Name = word, Source = source, Prunable = source == TokenSource.Image });
            }

            return new EquatableArray<TokenGroupSpec>(bySource.OrderBy(p => p.Key).Select(p => p.Value));
        }

        private (TokenGroupSpec Group, YNode NameNode, YNode SourceNode)? Group(YNode node)
        {
            if (reader.Mapping(node, "a group", GroupKeys) is not { } map)
            {
                return null;
            }

            var before = reader.Diagnostics.Count;
            var sourceNode = Required(map, "source", "a group");
            var source = sourceNode is null ? null : reader.Word(sourceNode, "source", Sources);
            string? name = null;
            var nameNode = map["name"] ?? sourceNode ?? map.Node;
            if (map["name"] is { } nameValue && (name = reader.String(nameValue, "name")) is not null && !GroupNamePattern().IsMatch(name))
            {
                reader.Report(SpecDiagnosticCodes.InvalidIdentifier, nameValue, $"Group name '{name}' must be a letter followed by letters, digits or underscores.");
            }

            bool? prunable = map["prunable"] is { } prunableNode ? reader.Bool(prunableNode, "prunable") : null;
            ClsSplitSpec? split = null;
            if (map["cls_split"] is { } splitNode)
            {
                if (source is not null && source != TokenSource.Image)
                {
                    reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode("cls_split"), $"'cls_split' applies only to a group with source 'image', not '{SourceWord(source.Value)}'.");
                }
                else if (reader.Mapping(splitNode, "'cls_split'", ClsSplitKeys) is { } splitMap
                    && Required(splitMap, "key_fraction", "'cls_split'") is { } fractionNode
                    && reader.Number(fractionNode, "key_fraction", f => f > 0 && f < 1, "in (0, 1)") is { } fraction)
                {
                    split = new ClsSplitSpec { KeyFraction = fraction };
                }
            }

            ImageRanking? ranking = null;
            if (map["ranking"] is { } rankingNode)
            {
                if (source is not null && source != TokenSource.Image)
                {
                    reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode("ranking"), $"'ranking' applies only to a group with source 'image', not '{SourceWord(source.Value)}'.");
                }
                else
                {
                    ranking = reader.Word(rankingNode, "ranking", RankingWords);
                }
            }

            if (reader.Diagnostics.Count != before || source is null)
            {
                return null;
            }

            var group = new TokenGroupSpec
            {
                Name = name ?? SourceWord(source.Value),
                Source = source.Value,
                Prunable = prunable ?? source == TokenSource.Image,
                ClsSplit = split,
                Ranking = ranking ?? ImageRanking.Cls,
            };
            return (group, nameNode, sourceNode!);
        }

        private EquatableArray<PrunableModule>? Modules(YNode? node)
        {
            if (node is null)
            {
                return new[] { PrunableModule.Attention, PrunableModule.Mlp };
            }

            // `modules: mlp` is shorthand for `modules: [mlp]`.
            IReadOnlyList<YNode> items = node is YSequence list ? list.Items : [node];
            var modules = new List<PrunableModule>();
            var ok = true;
            foreach (var item in items)
            {
                if (reader.Word(item, "modules", ModuleWords) is not { } module)
                {
                    ok = false;
                }
                else if (modules.Contains(module))
                {
                    reader.Report(SpecDiagnosticCodes.DuplicateKey, item, $"Module '{((YScalar)item).Value}' is listed twice in 'modules'.");
                    ok = false;
                }
                else
                {
                    modules.Add(module);
                }
            }

            modules.Sort();
            return ok ? new EquatableArray<PrunableModule>(modules) : (EquatableArray<PrunableModule>?)null;
        }

        private void CheckSomethingPrunable(MappingView map, EquatableArray<TokenGroupSpec> groups, EquatableArray<PrunableModule> modules)
        {
            if (modules.Count == 0)
            {
                reader.Report(SpecDiagnosticCodes.NothingPrunable, map["modules"]!, "'modules' is empty: there is nothing to prune.");
            }

            if (!groups.Any(g => g.Prunable))
            {
                reader.Report(SpecDiagnosticCodes.NothingPrunable, map["groups"] ?? map.Node, "No group is prunable: set 'prunable: true' on at least one group.");
            }
        }

        private static string SourceWord(TokenSource source) => Sources.First(s => s.Item2 == source).Item1;
    }
}
