using System.Reflection;
using DopCompiler.Search.Evaluation;

namespace DopCompiler.Search.Tests;

/// <summary>
/// The shipped sample model (samples/ShapesVlm/model) through the same loader, preprocessor, tokenizer and greedy
/// decoder as any LLaVA checkpoint (<see cref="DatasetEvaluator"/>, i.e. <c>dop eval</c>) on fixed test questions:
/// the first 48 of test.jsonl (the generator puts every question type twice into each block of 8, so 12 of each).
/// </summary>
public sealed class ShippedSampleModelTests
{
    [Fact]
    public void ReadsTheImageOnFixedTestQuestions()
    {
        var sample = Path.Combine(RepoRoot(), "samples", "ShapesVlm");
        var result = DatasetEvaluator.Run(Path.Combine(sample, "model"), Path.Combine(sample, "data", "test.jsonl"), policy: null, limit: 48,
            maxNewTokens: 4, new SilentProgress());

        Assert.Equal(48, result.Samples);
        Assert.Equal(["ColorOf", "CountOf", "Exists", "LeftOf"], result.PerType.Keys);
        Assert.All(result.PerType.Values, t => Assert.Equal(12, t.Total));
        // The committed model scores 97.2% on all 1000 (README of the sample): ColorOf 100%, CountOf 100%, Exists 94.0%,
        // LeftOf 94.8%; 48/48 here. A model that ignores the image scores 35–40% here (answer priors: 1 of 4 colours, 1 of
        // 7 counts, 1 of 3 shapes, yes/no), a broken loader ~0%; colour, count and left-of questions cannot be guessed.
        // Thresholds leave two answers of slack for another CPU's float rounding.
        Assert.True(result.Accuracy >= 46 / 48.0, $"accuracy {result.Accuracy:P1} on the first 48 test questions");
        Assert.True(result.PerType["ColorOf"].Correct >= 11, $"ColorOf {result.PerType["ColorOf"].Correct}/12");
        Assert.True(result.PerType["CountOf"].Correct >= 11, $"CountOf {result.PerType["CountOf"].Correct}/12");
        Assert.True(result.PerType["LeftOf"].Correct >= 11, $"LeftOf {result.PerType["LeftOf"].Correct}/12");
    }

    // Recorded at build time (DopRepoRoot), as the Tasks and Package tests do.
    private static string RepoRoot() =>
        typeof(ShippedSampleModelTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}
