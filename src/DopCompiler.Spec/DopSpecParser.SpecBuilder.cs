using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// The builder's state and walk over the top-level keys (with flops, device and precision, one word each).
public static partial class DopSpecParser
{
    private static readonly (string, FlopsCounting)[] FlopsWords =
        [("gqa", FlopsCounting.Gqa), ("paper", FlopsCounting.Paper)];

    private static readonly (string, DeviceKind)[] DeviceWords =
        [("auto", DeviceKind.Auto), ("cpu", DeviceKind.Cpu), ("cuda", DeviceKind.Cuda)];

    private static readonly (string, PrecisionKind)[] PrecisionWords =
        [("auto", PrecisionKind.Auto), ("fp32", PrecisionKind.Fp32), ("bf16", PrecisionKind.Bf16)];

    /// <summary>Walks the checked root mapping; each section reports its own problems and returns null on any.</summary>
    private sealed partial class SpecBuilder(SpecReader reader, string path)
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
    }
}
