extern alias generator;

using generator::DopCompiler.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DopCompiler.Generator.Tests;

public sealed class IncrementalTests
{
    [Fact]
    public void SecondRunWithEqualInputsIsCached()
    {
        var items = new[]
        {
            PolicyItem.For("tiny-a.policy.json", TestData.PolicyText("tiny-a.policy.json"), "TinyDopA"),
            PolicyItem.For("tiny-split.policy.json", TestData.PolicyText("tiny-split.policy.json"), "TinyDopSplit"),
        };
        var compilation = GeneratorHarness.Compilation();
        var driver = GeneratorHarness.Driver(items).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Equal(3, first.GeneratedSources.Length);

        // An edit elsewhere in the project: a new compilation, the same policy files.
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace App { public static class Other { } }", GeneratorHarness.ParseOptions));
        driver = driver.RunGenerators(edited);
        var second = driver.GetRunResult().Results.Single();

        foreach (var step in new[] { DopPolicyGenerator.InputStep, DopPolicyGenerator.ReadStep, DopPolicyGenerator.FactsStep })
        {
            var outputs = second.TrackedSteps[step].SelectMany(s => s.Outputs).ToArray();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output: {o.Reason}"));
        Assert.Equal(first.GeneratedSources.Select(s => s.SourceText.ToString()), second.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void ChangingOnePolicyRereadsOnlyThatPolicy()
    {
        var a = PolicyItem.For("tiny-a.policy.json", TestData.PolicyText("tiny-a.policy.json"), "TinyDopA");
        var split = PolicyItem.For("tiny-split.policy.json", TestData.PolicyText("tiny-split.policy.json"), "TinyDopSplit");
        var texts = new[] { GeneratorHarness.Text(a), GeneratorHarness.Text(split) };
        var compilation = GeneratorHarness.Compilation();
        var driver = GeneratorHarness.Driver([a, split], texts: texts).RunGenerators(compilation);

        // The search rewrote one policy (a tighter budget): same path and metadata, new text.
        driver = driver.ReplaceAdditionalText(texts[0], GeneratorHarness.Text(a with { Text = TestData.PolicyText("tiny-b.policy.json") }));
        driver = driver.RunGenerators(compilation);
        var reasons = driver.GetRunResult().Results.Single().TrackedSteps[DopPolicyGenerator.ReadStep]
            .SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains(reasons, r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }
}
