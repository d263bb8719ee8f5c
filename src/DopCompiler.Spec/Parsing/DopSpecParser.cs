using System.Text.RegularExpressions;
using DopCompiler.Spec.Parsing;
using YamlDotNet.Core;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

/// <summary>Reads and checks a <c>dop.yaml</c>; every problem is reported at once, nothing throws for bad input.</summary>
public static partial class DopSpecParser
{
    /// <summary>The top-level keys, in documentation order.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } =
    [
        "model", "validation", "groups", "modules", "budget", "budgets", "flops", "divergence", "grid",
        "device", "precision", "output", "libtorch_dir", "seed", "max_search_minutes",
    ];

    private static readonly string[] ValidationKeys = ["path", "limit"];
    private static readonly string[] GroupKeys = ["name", "source", "prunable", "cls_split", "ranking"];
    private static readonly string[] ClsSplitKeys = ["key_fraction"];
    private static readonly string[] BudgetKeys = ["fraction", "tflops", "latency_fraction", "max_accuracy_drop", "max_kl", "on_unreachable", "price"];

    private static readonly (string, BudgetKind)[] BudgetValueKeys =
    [
        ("fraction", BudgetKind.Fraction), ("tflops", BudgetKind.Tflops), ("latency_fraction", BudgetKind.LatencyFraction),
        ("max_accuracy_drop", BudgetKind.MaxAccuracyDrop), ("max_kl", BudgetKind.MaxKl),
    ];

    private const string BudgetValueList = "fraction, tflops, latency_fraction, max_accuracy_drop or max_kl";
    private static readonly string[] DivergenceKeys = ["positions", "max_positions"];
    private static readonly string[] GridKeys = ["step", "n_v"];
    private static readonly string[] OutputKeys = ["class_name", "namespace"];

    private static readonly (string, TokenSource)[] Sources =
        [("system", TokenSource.System), ("image", TokenSource.Image), ("text", TokenSource.Text)];

    private static readonly (string, PrunableModule)[] ModuleWords =
        [("attention", PrunableModule.Attention), ("mlp", PrunableModule.Mlp)];

    private static readonly (string, FlopsCounting)[] FlopsWords =
        [("gqa", FlopsCounting.Gqa), ("paper", FlopsCounting.Paper)];

    private static readonly (string, DivergencePositions)[] PositionWords =
        [("first_answer", DivergencePositions.FirstAnswer), ("teacher_forced", DivergencePositions.TeacherForced)];

    private static readonly (string, ImageRanking)[] RankingWords = [("cls", ImageRanking.Cls), ("spread", ImageRanking.Spread)];

    private static readonly (string, BudgetPrice)[] PriceWords = [("flops", BudgetPrice.Flops), ("latency", BudgetPrice.Latency)];

    private static readonly (string, UnreachableBudget)[] UnreachableWords =
        [("error", UnreachableBudget.Error), ("cheapest", UnreachableBudget.Cheapest)];

    private static readonly (string, DeviceKind)[] DeviceWords =
        [("auto", DeviceKind.Auto), ("cpu", DeviceKind.Cpu), ("cuda", DeviceKind.Cuda)];

    private static readonly (string, PrecisionKind)[] PrecisionWords =
        [("auto", PrecisionKind.Auto), ("fp32", PrecisionKind.Fp32), ("bf16", PrecisionKind.Bf16)];

    /// <summary>Reads the file at <paramref name="path"/> and parses it.</summary>
    public static SpecResult<DopSpec> Parse(string path)
    {
        if (RegularFiles.Problem(path) is { } irregular)
        {
            return SpecResult<DopSpec>.From(null, [irregular]);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var message = File.Exists(path) ? $"Cannot read the spec: {e.Message}" : "The spec file does not exist.";
            return SpecResult<DopSpec>.From(null, [SpecDiagnostic.At(SpecDiagnosticCodes.FileNotFound, path, 0, 0, message)]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses <paramref name="yamlText"/> as if read from <paramref name="path"/> (relative paths resolve against its folder).</summary>
    public static SpecResult<DopSpec> Parse(string yamlText, string path)
    {
        var reader = new SpecReader(path);
        YNode? root;
        try
        {
            root = YamlLoader.Load(yamlText);
        }
        catch (YamlException e)
        {
            var message = YamlMarkPrefix().Replace(e.Message, "");
            var (line, column) = ((int)e.Start.Line, (int)e.Start.Column);
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndent(yamlText) is { } tab)
            {
                // YamlDotNet places tab errors at the start of the enclosing mapping or scalar (often (1,1)); the tab is the news.
                (line, column) = tab;
                message = "a tab is used for indentation; YAML indents with spaces only";
            }

            reader.Diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.YamlSyntax, path, line, column, $"Invalid YAML: {message}"));
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        if (root is null or YScalar { IsNull: true })
        {
            reader.Diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.YamlSyntax, path, 1, 1, "The spec is empty."));
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        if (root is not YMapping)
        {
            reader.Report(SpecDiagnosticCodes.YamlSyntax, root, $"The spec must be a mapping of keys to values, found {root.KindName}.");
            return SpecResult<DopSpec>.From(null, reader.Diagnostics);
        }

        var spec = new SpecBuilder(reader, path).Build((YMapping)root);
        var ordered = reader.Diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
        return SpecResult<DopSpec>.From(spec, ordered);
    }

    /// <summary>The 1-based line and column of the first tab in a line's leading whitespace, or null.</summary>
    private static (int Line, int Column)? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && (line[c] == ' ' || line[c] == '\t'); c++)
            {
                if (line[c] == '\t' && line.AsSpan(c).Trim().Length > 0)
                {
                    return (i + 1, c + 1);
                }
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex YamlMarkPrefix();

    /// <summary>Walks the checked root mapping; each section reports its own problems and returns null on any.</summary>
    private sealed class SpecBuilder(SpecReader reader, string path)
    {
        private readonly string _fullPath = Path.GetFullPath(path);
        private readonly string _folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        private bool _failed;

        public DopSpec? Build(YMapping root)
        {
            var map = reader.Mapping(root, "the spec", TopLevelKeys)!;
            var model = Required(map, "model", "the spec") is { } modelNode ? ModelFolder(modelNode) : null;
            var validation = Required(map, "validation", "the spec") is { } validationNode ? Validation(validationNode) : null;
            var groups = Groups(map["groups"]);
            var modules = Modules(map["modules"]);
            EquatableArray<NamedBudget>? budgets = null;
            BudgetSpec? budget = null;
            if (map["budget"] is not null && map["budgets"] is not null)
            {
                _failed = true;
                reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode("budgets"),
                    "'budget' and 'budgets' exclude each other: give one budget under 'budget', or several named ones under 'budgets' (fast: {fraction: 0.2}).");
            }
            else if (map["budgets"] is { } budgetsNode)
            {
                budgets = NamedBudgets(budgetsNode);
                budget = budgets?[0].Budget;
            }
            else if (Required(map, "budget", "the spec") is { } budgetNode)
            {
                budget = Budget(budgetNode);
            }

            var flops = Optional(map["flops"], n => reader.Word(n, "flops", FlopsWords), FlopsCounting.Gqa);
            var divergence = Divergence(map["divergence"]);
            var grid = Grid(map["grid"]);
            var device = Optional(map["device"], n => reader.Word(n, "device", DeviceWords), DeviceKind.Auto);
            var precision = Optional(map["precision"], n => reader.Word(n, "precision", PrecisionWords), PrecisionKind.Auto);
            var output = Output(map["output"]);
            var libTorch = map["libtorch_dir"] is { } libNode ? LibTorchFolder(libNode) : null;
            var seed = Optional(map["seed"], n => reader.Integer(n, "seed", 0, int.MaxValue, "an integer in [0, 2147483647]"), 0);
            var maxMinutes = map["max_search_minutes"] is { } maxNode ? reader.Number(maxNode, "max_search_minutes", m => m > 0, "above 0") : null;

            if (groups is not null && modules is not null)
            {
                CheckSomethingPrunable(map, groups.Value, modules.Value);
            }

            if (_failed || reader.Diagnostics.Count > 0)
            {
                return null;
            }

            return new DopSpec
            {
                SourcePath = _fullPath,
                Model = model!,
                Validation = validation!,
                Groups = groups!.Value,
                Modules = modules!.Value,
                Budget = budget!,
                Budgets = budgets,
                Flops = flops,
                Divergence = divergence!,
                Grid = grid!,
                Device = device,
                DeviceAt = map["device"] is { } deviceNode ? new SpecLocation(deviceNode.Line, deviceNode.Column) : null,
                Precision = precision,
                Output = output!,
                LibTorchDir = libTorch,
                Seed = (int)seed,
                MaxSearchMinutes = maxMinutes,
            };
        }

        private YNode? Required(MappingView map, string key, string what)
        {
            if (map[key] is { } node)
            {
                return node;
            }

            _failed = true;
            if (map.SuggestedKeys.Contains(key))
            {
                return null;
            }

            var at = map.HasKey(key) ? (YNode)map.KeyNode(key) : map.Node;
            reader.Report(
                SpecDiagnosticCodes.MissingKey,
                at,
                map.HasKey(key) ? $"'{key}' in {what} has no value." : $"Required key '{key}' is missing from {what}.");
            return null;
        }

        private T Optional<T>(YNode? node, Func<YNode, T?> read, T fallback)
            where T : struct
        {
            if (node is null)
            {
                return fallback;
            }

            if (read(node) is { } value)
            {
                return value;
            }

            _failed = true;
            return fallback;
        }

        private string Resolve(string relative) => Path.GetFullPath(Path.Combine(_folder, relative));

        private string? ModelFolder(YNode node)
        {
            if (reader.String(node, "model", "a folder path") is not { } text)
            {
                return null;
            }

            var folder = Resolve(text);
            if (!Directory.Exists(folder))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Model folder '{text}' does not exist (resolved to '{folder}').");
                return null;
            }

            if (!File.Exists(Path.Combine(folder, "config.json")))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Model folder '{text}' has no config.json.");
                return null;
            }

            return folder;
        }

        private string? Folder(YNode node, string key)
        {
            if (reader.String(node, key, "a folder path") is not { } text)
            {
                return null;
            }

            var folder = Resolve(text);
            if (!Directory.Exists(folder))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Folder '{text}' given as '{key}' does not exist (resolved to '{folder}').");
                return null;
            }

            return folder;
        }

        /// <summary>A folder with libtorch.so: checked here so a wrong path is reported at its line, not by the native loader.</summary>
        private string? LibTorchFolder(YNode node)
        {
            if (Folder(node, "libtorch_dir") is not { } folder)
            {
                return null;
            }

            if (!File.Exists(Path.Combine(folder, "libtorch.so")))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Folder '{folder}' given as 'libtorch_dir' holds no libtorch.so (point it at the lib/ folder of a libtorch or PyTorch build matching TorchSharp's libtorch version).");
                return null;
            }

            return folder;
        }

        private string? ExistingFile(YNode node, string key)
        {
            if (reader.String(node, key, "a file path") is not { } text)
            {
                return null;
            }

            var file = Resolve(text);
            if (!File.Exists(file))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"File '{text}' given as '{key}' does not exist (resolved to '{file}').");
                return null;
            }

            return file;
        }

        private ValidationSpec? Validation(YNode node)
        {
            // `validation: samples.jsonl` is shorthand for `validation: { path: samples.jsonl }`.
            if (node is YScalar)
            {
                return ExistingFile(node, "validation") is { } shortPath ? new ValidationSpec { Path = shortPath } : null;
            }

            if (reader.Mapping(node, "'validation'", ValidationKeys) is not { } map)
            {
                return null;
            }

            var file = Required(map, "path", "'validation'") is { } pathNode ? ExistingFile(pathNode, "path") : null;
            long? limit = null;
            if (map["limit"] is { } limitNode && (limit = reader.Integer(limitNode, "limit", 1, int.MaxValue, "a positive integer")) is null)
            {
                return null;
            }

            return file is null ? null : new ValidationSpec { Path = file, Limit = (int?)limit };
        }

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

        /// <summary>
        /// <c>budgets:</c>, a mapping of names to budget mappings in spec order: each name a letter followed by letters,
        /// digits or underscores whose PascalCase (the generated <c>Variant</c> member) no other name shares, each budget
        /// checked as <c>budget:</c> is. Null when anything is wrong (reported).
        /// </summary>
        private EquatableArray<NamedBudget>? NamedBudgets(YNode node)
        {
            if (node is not YMapping mapping)
            {
                reader.Report(SpecDiagnosticCodes.WrongType, node, $"'budgets' must be a mapping of names to budgets (fast: {{fraction: 0.2}}), found {node.KindName}.");
                _failed = true;
                return null;
            }

            // Any name is a key here: the mapping reader still reports duplicates and non-scalar keys.
            var names = mapping.Entries.Select(e => e.Key).OfType<YScalar>().Where(k => !k.IsNull).Select(k => k.Value).Distinct().ToList();
            if (reader.Mapping(node, "'budgets'", names) is not { } map)
            {
                _failed = true;
                return null;
            }

            if (map.Keys.Count == 0)
            {
                reader.Report(SpecDiagnosticCodes.MissingKey, node, "'budgets' needs at least one named budget (fast: {fraction: 0.2}).");
                _failed = true;
                return null;
            }

            var before = reader.Diagnostics.Count;
            var result = new List<NamedBudget>();
            var identifiers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in map.Keys)
            {
                var keyNode = map.KeyNode(name);
                if (!GroupNamePattern().IsMatch(name))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, keyNode, $"Budget name '{name}' must be a letter followed by letters, digits or underscores (it names a member of the generated Variant enum).");
                }
                else if (identifiers.TryGetValue(DopConventions.PascalCase(name), out var other))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, keyNode,
                        $"Budget names '{other}' and '{name}' make the same Variant member '{DopConventions.PascalCase(name)}'; rename one.");
                }
                else
                {
                    identifiers[DopConventions.PascalCase(name)] = name;
                }

                if (map[name] is not { } value)
                {
                    reader.Report(SpecDiagnosticCodes.MissingKey, keyNode, $"Budget '{name}' in 'budgets' has no value; give it a budget mapping ({{fraction: 0.2}}).");
                    continue;
                }

                if (Budget(value, $"budget '{name}'") is { } budget)
                {
                    result.Add(new NamedBudget(name, budget));
                }
            }

            if (reader.Diagnostics.Count > before || result.Count != map.Keys.Count)
            {
                _failed = true;
                return null;
            }

            return new EquatableArray<NamedBudget>(result.ToArray());
        }

        /// <summary>
        /// One budget mapping (<paramref name="what"/> names it in messages, e.g. <c>'budget'</c>): exactly one value key,
        /// <c>on_unreachable</c> only for cost budgets, <c>price</c> only for quality targets.
        /// </summary>
        private BudgetSpec? Budget(YNode node, string what = "'budget'")
        {
            if (reader.Mapping(node, what, BudgetKeys) is not { } map)
            {
                return null;
            }

            var onUnreachable = Optional(map["on_unreachable"], n => reader.Word(n, "on_unreachable", UnreachableWords), UnreachableBudget.Error);
            var price = Optional(map["price"], n => reader.Word(n, "price", PriceWords), BudgetPrice.Flops);
            var given = map.Keys.Where(k => BudgetValueKeys.Any(v => v.Item1 == k) && map[k] is not null).ToList();
            if (given.Count == 0)
            {
                if (map.SuggestedKeys.Count > 0)
                {
                    return null;
                }

                reader.Report(SpecDiagnosticCodes.MissingKey, map.Node, $"{what} needs one of {BudgetValueList}.");
                return null;
            }

            foreach (var extra in given.Skip(1))
            {
                reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode(extra), $"{what} takes exactly one of {BudgetValueList}; '{given[0]}' is already given.");
            }

            var key = given[0];
            var kind = BudgetValueKeys.First(v => v.Item1 == key).Item2;
            var value = reader.Number(map[key]!, key, v => BudgetValue.InRange(kind, v), BudgetValue.RangeText(kind));
            var quality = kind is BudgetKind.MaxAccuracyDrop or BudgetKind.MaxKl;
            var conflict = false;
            if (!quality && map.HasKey("price"))
            {
                // A cost budget's unit is its price: FLOPs for fraction/tflops, predicted time for latency_fraction.
                reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode("price"),
                    $"'price' applies only to a quality target (max_accuracy_drop, max_kl); a {key} budget is priced in its own unit.");
                conflict = true;
            }

            if (quality && map.HasKey("on_unreachable"))
            {
                reader.Report(SpecDiagnosticCodes.ConflictingKeys, map.KeyNode("on_unreachable"),
                    $"'on_unreachable' does not apply to a quality target ('{key}'): the unpruned model always meets it.");
                conflict = true;
            }

            if (value is null || given.Count > 1 || conflict)
            {
                return null;
            }

            return new BudgetSpec { Kind = kind, Value = value.Value, OnUnreachable = onUnreachable, Price = price };
        }

        private DivergenceSpec? Divergence(YNode? node)
        {
            if (node is null)
            {
                return new DivergenceSpec();
            }

            if (reader.Mapping(node, "'divergence'", DivergenceKeys) is not { } map)
            {
                return null;
            }

            var positions = Optional(map["positions"], n => reader.Word(n, "positions", PositionWords), DivergencePositions.TeacherForced);
            var max = Optional(map["max_positions"], n => reader.Integer(n, "max_positions", 1, 64, "in [1, 64]"), 8);
            return new DivergenceSpec { Positions = positions, MaxPositions = (int)max };
        }

        private GridSpec? Grid(YNode? node)
        {
            if (node is null)
            {
                return new GridSpec();
            }

            if (reader.Mapping(node, "'grid'", GridKeys) is not { } map)
            {
                return null;
            }

            var step = Optional(map["step"], n => reader.Integer(n, "step", 1, int.MaxValue, "a positive integer"), 1);
            EquatableArray<int>? counts = null;
            if (map["n_v"] is { } nvNode)
            {
                if (nvNode is not YSequence list)
                {
                    reader.Report(SpecDiagnosticCodes.WrongType, nvNode, $"'n_v' must be a list of image-token counts, found {nvNode.KindName}.");
                    return null;
                }

                if (list.Items.Count == 0)
                {
                    reader.Report(SpecDiagnosticCodes.OutOfRange, nvNode, "'n_v' must list at least one image-token count.");
                    return null;
                }

                var values = new SortedSet<int>();
                foreach (var item in list.Items)
                {
                    if (reader.Integer(item, "n_v", 1, int.MaxValue, "a positive integer") is { } count && !values.Add((int)count))
                    {
                        reader.Report(SpecDiagnosticCodes.DuplicateKey, item, $"Count {count} is listed twice in 'n_v'.");
                    }
                }

                counts = new EquatableArray<int>(values);
            }

            return new GridSpec { Step = (int)step, NV = counts };
        }

        private OutputSpec? Output(YNode? node)
        {
            var className = DopConventions.ClassNameFromSpecFile(path);
            var ns = DopConventions.DefaultNamespace;
            if (node is null)
            {
                return new OutputSpec { ClassName = className, Namespace = ns };
            }

            if (reader.Mapping(node, "'output'", OutputKeys) is not { } map)
            {
                return null;
            }

            var ok = true;
            if (map["class_name"] is { } classNode)
            {
                if (reader.String(classNode, "class_name") is not { } text)
                {
                    ok = false;
                }
                else if (!Identifiers.IsValidIdentifier(text))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, classNode, $"'class_name' '{text}' is not a valid C# identifier.");
                    ok = false;
                }
                else
                {
                    className = text;
                }
            }

            if (map["namespace"] is { } nsNode)
            {
                if (reader.String(nsNode, "namespace") is not { } text)
                {
                    ok = false;
                }
                else if (!Identifiers.IsValidNamespace(text))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, nsNode, $"'namespace' '{text}' is not a valid C# namespace (identifiers joined by dots).");
                    ok = false;
                }
                else
                {
                    ns = text;
                }
            }

            return ok ? new OutputSpec { ClassName = className, Namespace = ns } : null;
        }

        private static string SourceWord(TokenSource source) => Sources.First(s => s.Item2 == source).Item1;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex GroupNamePattern();
}
