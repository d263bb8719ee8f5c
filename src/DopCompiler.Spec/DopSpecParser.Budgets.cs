using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// 'budget' and 'budgets': cost budgets and quality targets.
public static partial class DopSpecParser
{
    private static readonly string[] BudgetKeys = ["fraction", "tflops", "latency_fraction", "max_accuracy_drop", "max_kl", "on_unreachable", "price"];

    private static readonly (string, BudgetKind)[] BudgetValueKeys =
    [
        ("fraction", BudgetKind.Fraction), ("tflops", BudgetKind.Tflops), ("latency_fraction", BudgetKind.LatencyFraction),
        ("max_accuracy_drop", BudgetKind.MaxAccuracyDrop), ("max_kl", BudgetKind.MaxKl),
    ];

    private const string BudgetValueList = "fraction, tflops, latency_fraction, max_accuracy_drop or max_kl";

    private static readonly (string, BudgetPrice)[] PriceWords = [("flops", BudgetPrice.Flops), ("latency", BudgetPrice.Latency)];

    private static readonly (string, UnreachableBudget)[] UnreachableWords =
        [("error", UnreachableBudget.Error), ("cheapest", UnreachableBudget.Cheapest)];

    private sealed partial class SpecBuilder
    {
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
    }
}
