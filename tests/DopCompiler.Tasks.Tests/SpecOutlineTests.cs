namespace DopCompiler.Tasks.Tests;

public sealed class SpecOutlineTests
{
    [Fact]
    public void ReadsBlockAndFlowForms()
    {
        using var folder = new TempFolder();
        var spec = folder.File("a.dop.yaml", """
            # comment
            model: "../models/tiny"   # trailing comment
            validation:
              path: data/val.jsonl
              limit: 4
            output: { class_name: TinyDop, namespace: My.App }
            budget:
              fraction: 0.5
            """);
        var outline = SpecOutline.Read(spec);
        Assert.Equal("../models/tiny", outline.Model);
        Assert.Equal("data/val.jsonl", outline.Validation);
    }

    [Fact]
    public void NamedBudgetsDoNotDisturbTheOutline()
    {
        // budgets: names are free words, even 'model' or 'validation'; nested under 'budgets' they are not the spec's keys.
        using var folder = new TempFolder();
        var spec = folder.File("dop.yaml", """
            budgets:
              model: {fraction: 0.2}
              validation:
                max_accuracy_drop: 0.01
              path: {fraction: 0.3}
            model: m
            validation:
              path: v.jsonl
            """);
        var outline = SpecOutline.Read(spec);
        Assert.Equal("m", outline.Model);
        Assert.Equal("v.jsonl", outline.Validation);
    }

    [Fact]
    public void ShorthandValidation()
    {
        using var folder = new TempFolder();
        var spec = folder.File("dop.yaml", "model: m\nvalidation: v.jsonl\noutput:\n  class_name: X\n");
        var outline = SpecOutline.Read(spec);
        Assert.Equal("v.jsonl", outline.Validation);
        Assert.Equal("m", outline.Model);
    }

    [Fact]
    public void BrokenYamlYieldsNothingAndDoesNotThrow()
    {
        using var folder = new TempFolder();
        var spec = folder.File("dop.yaml", "model: [unclosed\n\t- : :\n{{{");
        var outline = SpecOutline.Read(spec);
        Assert.Null(outline.Validation);
        Assert.Null(SpecOutline.Read(Path.Combine(folder.Path, "missing.yaml")).Model);
    }

    [Theory]
    [InlineData("shapes-vlm.dop.yaml", "ShapesVlmDop")]
    [InlineData("dop.yaml", "Dop")]
    [InlineData("dop.yml", "Dop")]
    [InlineData("3d_model.yaml", "_3dModel")]
    [InlineData("---.yaml", "DopModel")]
    public void DefaultClassNameFollowsTheSpec(string file, string expected) =>
        Assert.Equal(expected, DopConventions.ClassNameFromSpecFile("/x/" + file));
}
