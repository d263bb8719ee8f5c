using System.Globalization;

namespace DopCompiler.Generator.Tests;

public sealed class DeterminismTests
{
    [Fact]
    public void IdenticalInputsGiveByteIdenticalOutputInAnyCultureAndFileOrder()
    {
        var a = PolicyItem.For("tiny-a.policy.json", TestData.PolicyText("tiny-a.policy.json"), "TinyDopA");
        var split = PolicyItem.For("tiny-split.policy.json", TestData.PolicyText("tiny-split.policy.json"), "TinyDopSplit");
        var first = Sources([a, split]);

        var culture = CultureInfo.CurrentCulture;
        try
        {
            // Decimal commas and other digits must not leak into generated numbers.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal(first, Sources([split, a]));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
        }

        Assert.Equal(first, Sources([a, split]));
        Assert.All(first, s => Assert.DoesNotContain("\r", s.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void OutputDoesNotDependOnWhereThePolicyLives()
    {
        var text = TestData.PolicyText("tiny-a.policy.json");
        var here = Sources([PolicyItem.For("tiny-a.policy.json", text)]);
        var there = Sources([PolicyItem.For("tiny-a.policy.json", text) with { Path = "/somewhere/else/obj/Release/tiny-a.policy.json" }]);
        Assert.Equal(here, there);
    }

    private static (string HintName, string Text)[] Sources(PolicyItem[] items) =>
        GeneratorHarness.Run(items).Result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).OrderBy(s => s.HintName, StringComparer.Ordinal).ToArray();
}
