using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search.Document;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>A valid policy for the tiny fixture's config, made by the search's own factory (for the reader's tests and the fuzz harness).</summary>
internal static class TinyPolicy
{
    public static byte[] Json(string modelFolderWithConfig, string modelHash)
    {
        var config = ModelConfigReader.Read(modelFolderWithConfig);
        List<PolicyGroup> groups =
        [
            new() { Name = "system", Source = "system", Prunable = false, MeanTokens = 4 },
            new() { Name = "image", Source = "image", Prunable = true, MeanTokens = 16 },
            new() { Name = "text", Source = "text", Prunable = true, MeanTokens = 5 },
        ];
        var document = PolicyDocumentFactory.Create(config, "tiny", modelHash, groups,
            new DepthPolicy(new Dictionary<string, int> { ["image"] = 2 }, new Dictionary<string, int> { ["image"] = 3, ["text"] = 1 }));
        document.SpecHash = "sha256:11";
        document.Budget = new PolicyBudget { Kind = "fraction", Asked = 0.6, Reached = 0.57, FlopsFraction = 0.57 };
        document.Divergence = new PolicyDivergence { PredictedKl = 0.01, MeasuredKl = 0.02, Positions = "teacher_forced", MaxPositions = 8, Samples = 2 };
        document.Flops = new PolicyFlops { Convention = "gqa", Unpruned = 4e6, Pruned = 2e6 };
        return PolicySchema.Serialize(document);
    }
}
