using DopCompiler.Inputs.Hashing;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.TestFixtures;

namespace DopCompiler.Generator.Tests;

/// <summary>
/// The policies the tests use, made by the search's own factory on the tiny fixture's config and checked in under
/// TestData/ (a test regenerates them and compares, so they cannot drift from the schema).
/// </summary>
internal static class TestPolicies
{
    public const string ModelName = "tiny-llava";

    public const string ModelHash = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    public static readonly TinyLlavaOptions Options = new() { WeightScale = 3.0, Seed = 3 };

    /// <summary>File name → document.</summary>
    public static IReadOnlyList<(string FileName, PolicyDocument Document)> All() =>
    [
        ("tiny-a.policy.json", A()),
        ("tiny-b.policy.json", B()),
        ("tiny-split.policy.json", Split()),
        ("tiny-spread.policy.json", Spread()),
        ("tiny-empty.policy.json", Empty()),
        ("tiny-variants.policy.json", Variants()),
    ];

    /// <summary>Image attention pruned in the last 2 layers, image MLP in the last 3, text MLP in the last 1.</summary>
    public static PolicyDocument A() => Create(Groups(), Policy(("image", 2)), Policy(("image", 3), ("text", 1)), asked: 0.6, reached: 0.5712, kl: 0.0123);

    /// <summary>A's budget tightened: image attention pruned in the last 3 layers (only layer 1 and the header change).</summary>
    public static PolicyDocument B() => Create(Groups(), Policy(("image", 3)), Policy(("image", 3), ("text", 1)), asked: 0.5, reached: 0.4875, kl: 0.0251);

    /// <summary>[CLS]-ranked image split: the 75% least attended image tokens leave after layer 0, the key quarter keeps attention to layer 2.</summary>
    public static PolicyDocument Split() => Create(SplitGroups(), Policy(("image_rest", 3), ("image_key", 1)), Policy(("image_key", 2)), asked: 0.4, reached: 0.3921, kl: 0.0402);

    /// <summary>The split of <see cref="Split"/> with the key quarter taken spread out over the patch grid (schema version 2).</summary>
    public static PolicyDocument Spread() => Create(SplitGroups(ImageTokenOrder.SpreadWord), Policy(("image_rest", 3), ("image_key", 1)), Policy(("image_key", 2)), asked: 0.4, reached: 0.3921, kl: 0.0502);

    /// <summary>Two budgets in one file (<c>budgets:</c>): <c>fast</c> is <see cref="B"/>'s solution (the default), <c>exact</c> is <see cref="A"/>'s.</summary>
    public static PolicyDocument Variants() => PolicyDocumentFactory.Combine([("fast", B()), ("exact", A())]);

    public static PolicyDocument Empty() => Create(Groups(), Policy(), Policy(), asked: 1.0, reached: 1.0, kl: 0.0);

    public static byte[] Serialize(PolicyDocument document) => PolicySchema.Serialize(document);

    private static PolicyDocument Create(List<PolicyGroup> groups, Dictionary<string, int> attention, Dictionary<string, int> mlp, double asked, double reached, double kl)
    {
        var document = PolicyDocumentFactory.Create(Config(), ModelName, ModelHash, groups, new DepthPolicy(attention, mlp));
        document.ToolVersion = "0.1.0"; // pinned: the golden files must not change with the tool's version
        document.SpecHash = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        document.Budget = new PolicyBudget { Kind = "fraction", Asked = asked, Reached = reached, FlopsFraction = reached };
        document.Divergence = new PolicyDivergence { PredictedKl = kl, MeasuredKl = kl + 0.001, Positions = "teacher_forced", MaxPositions = 8, Samples = 32 };
        document.Flops = new PolicyFlops { Convention = "gqa", Unpruned = 4_000_000, Pruned = 4_000_000 * reached, Projections = 1_000_000, Attention = 500_000, Mlp = 2_500_000 * reached };
        return document;
    }

    private static ModelConfig Config()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dop-gen-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), TinyLlavaCheckpoint.ConfigJson(Options));
            return ModelConfigReader.Read(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<PolicyGroup> Groups() =>
    [
        new() { Name = "system", Source = "system", Prunable = false, MeanTokens = 4 },
        new() { Name = "image", Source = "image", Prunable = true, MeanTokens = 16 },
        new() { Name = "text", Source = "text", Prunable = true, MeanTokens = 5 },
    ];

    private static List<PolicyGroup> SplitGroups(string? ranking = null) =>
    [
        new() { Name = "system", Source = "system", Prunable = false, MeanTokens = 4 },
        new() { Name = "image_key", Source = "image_key", Prunable = true, MeanTokens = 4, ImageFraction = 0.25, Ranking = ranking },
        new() { Name = "image_rest", Source = "image_rest", Prunable = true, MeanTokens = 12, ImageFraction = 0.75, Ranking = ranking },
        new() { Name = "text", Source = "text", Prunable = false, MeanTokens = 5 },
    ];

    private static Dictionary<string, int> Policy(params (string Group, int Depth)[] depths) => depths.ToDictionary(d => d.Group, d => d.Depth);
}
