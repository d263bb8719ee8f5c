using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Tests;

public sealed class DopSpecParserTests : IDisposable
{
    private readonly TempFolder _folder = new TempFolder().WithModelAndValidation();

    public void Dispose() => _folder.Dispose();

    private string SpecPath(string name = "dop.yaml") => _folder.PathOf(name);

    private SpecResult<DopSpec> Parse(string yaml, string name = "dop.yaml") => DopSpecParser.Parse(yaml, SpecPath(name));

    private static SpecDiagnostic Single(SpecResult<DopSpec> result)
    {
        Assert.False(result.Succeeded);
        Assert.Null(result.Value);
        return Assert.Single(result.Diagnostics);
    }

    private static void AssertAt(SpecDiagnostic diagnostic, string code, int line, int column)
    {
        Assert.Equal(code, diagnostic.Code);
        Assert.Equal((line, column), (diagnostic.Line, diagnostic.Column));
    }

    private const string Minimal = """
        model: model
        validation: val.jsonl
        budget:
          fraction: 0.14
        """;

    [Fact]
    public void FullSpecRoundTripsToRecord()
    {
        _folder.Write("libtorch/libtorch.so", "");
        const string yaml = """
            # every key
            model: ./model
            validation:
              path: val.jsonl
              limit: 32
            groups:
              - name: sys
                source: system
                prunable: false
              - name: vis
                source: image
                prunable: true
                cls_split:
                  key_fraction: 0.25
                ranking: spread
              - source: text
                prunable: true
            modules: [mlp, attention]
            budget:
              tflops: 1.2
            flops: paper
            divergence:
              positions: first_answer
              max_positions: 16
            grid:
              step: 2
              n_v: [144, 36, 72]
            device: cuda
            precision: bf16
            output:
              class_name: ShapesVlmDop
              namespace: My.Generated
            libtorch_dir: libtorch
            seed: 42
            """;
        var result = Parse(yaml);
        Assert.Empty(result.Diagnostics);
        var expected = new DopSpec
        {
            SourcePath = SpecPath(),
            Model = _folder.PathOf("model"),
            Validation = new ValidationSpec { Path = _folder.PathOf("val.jsonl"), Limit = 32 },
            Groups = new[]
            {
                new TokenGroupSpec { Name = "sys", Source = TokenSource.System, Prunable = false },
                new TokenGroupSpec { Name = "vis", Source = TokenSource.Image, Prunable = true, ClsSplit = new ClsSplitSpec { KeyFraction = 0.25 }, Ranking = ImageRanking.Spread },
                new TokenGroupSpec { Name = "text", Source = TokenSource.Text, Prunable = true },
            },
            Modules = new[] { PrunableModule.Attention, PrunableModule.Mlp },
            Budget = new BudgetSpec { Kind = BudgetKind.Tflops, Value = 1.2 },
            Flops = FlopsCounting.Paper,
            Divergence = new DivergenceSpec { Positions = DivergencePositions.FirstAnswer, MaxPositions = 16 },
            Grid = new GridSpec { Step = 2, NV = new[] { 36, 72, 144 } },
            Device = DeviceKind.Cuda,
            DeviceAt = new SpecLocation(28, 9),
            Precision = PrecisionKind.Bf16,
            Output = new OutputSpec { ClassName = "ShapesVlmDop", Namespace = "My.Generated" },
            LibTorchDir = _folder.PathOf("libtorch"),
            Seed = 42,
        };
        Assert.Equal(expected, result.Value);
        Assert.Equal(["vis_key", "vis_rest"], result.Value!.Groups[1].ResolvedNames);
    }

    [Fact]
    public void MinimalSpecFillsDefaults()
    {
        var spec = Parse(Minimal, "shapes-vlm.dop.yaml").GetValueOrThrow();
        Assert.Equal(_folder.PathOf("model"), spec.Model);
        Assert.Equal(new ValidationSpec { Path = _folder.PathOf("val.jsonl"), Limit = null }, spec.Validation);
        Assert.Equal(
            new[]
            {
                new TokenGroupSpec { Name = "system", Source = TokenSource.System, Prunable = false },
                new TokenGroupSpec { Name = "image", Source = TokenSource.Image, Prunable = true },
                new TokenGroupSpec { Name = "text", Source = TokenSource.Text, Prunable = false },
            },
            spec.Groups.ToArray());
        Assert.Equal([PrunableModule.Attention, PrunableModule.Mlp], spec.Modules.ToArray());
        Assert.Equal(new BudgetSpec { Kind = BudgetKind.Fraction, Value = 0.14 }, spec.Budget);
        Assert.Equal(FlopsCounting.Gqa, spec.Flops);
        Assert.Equal(new DivergenceSpec { Positions = DivergencePositions.TeacherForced, MaxPositions = 8 }, spec.Divergence);
        Assert.Equal(new GridSpec { Step = 1, NV = null }, spec.Grid);
        Assert.Equal(DeviceKind.Auto, spec.Device);
        Assert.Equal(PrecisionKind.Auto, spec.Precision);
        Assert.Equal(new OutputSpec { ClassName = "ShapesVlmDop", Namespace = "DopGenerated" }, spec.Output);
        Assert.Null(spec.LibTorchDir);
        Assert.Equal(0, spec.Seed);
    }

    [Fact]
    public void PartialGroupsAddUnlistedSourcesWithDefaults()
    {
        var spec = Parse(Minimal + "\ngroups:\n  - source: text\n    prunable: true\n").GetValueOrThrow();
        Assert.Equal(["system", "image", "text"], spec.Groups.Select(g => g.Name));
        Assert.Equal([false, true, true], spec.Groups.Select(g => g.Prunable));
    }

    [Fact]
    public void ParseFromFileReadsTheFile()
    {
        var path = _folder.Write("dop.yaml", Minimal);
        var spec = DopSpecParser.Parse(path).GetValueOrThrow();
        Assert.Equal(path, spec.SourcePath);
        Assert.Equal("Dop", spec.Output.ClassName);
    }

    [Fact]
    public void ParseFromFileMissingFileIsDop025()
    {
        var missing = _folder.PathOf("nope.yaml");
        var d = Single(DopSpecParser.Parse(missing));
        Assert.Equal("DOP025", d.Code);
        Assert.Equal($"{missing}: error DOP025: The spec file does not exist.", d.ToString());
    }

    [Theory]
    [InlineData("dop.yaml", "Dop")]
    [InlineData("shapes-vlm.dop.yaml", "ShapesVlmDop")]
    [InlineData("shapes_vlm.yml", "ShapesVlm")]
    [InlineData("7b model.yaml", "_7bModel")]
    public void DefaultClassNameComesFromFileName(string fileName, string expected)
    {
        Assert.Equal(expected, Parse(Minimal, fileName).GetValueOrThrow().Output.ClassName);
    }

    [Fact]
    public void DiagnosticToStringIsMsBuildCanonical()
    {
        var d = Single(Parse(Minimal + "\nseed: -1\n"));
        Assert.Equal($"{SpecPath()}(5,7): error DOP023: 'seed' must be an integer in [0, 2147483647], found -1.", d.ToString());
    }

    [Fact]
    public void Dop020YamlSyntax()
    {
        var d = Single(Parse("model: model\nvalidation: [val.jsonl\nbudget: {fraction: 0.1}\n"));
        Assert.Equal("DOP020", d.Code);
        Assert.True(d.Line >= 2, d.ToString());
        Assert.StartsWith("Invalid YAML:", d.Message);
        Assert.DoesNotContain("Idx:", d.Message);
    }

    [Fact]
    public void Dop020TabIndentation()
    {
        var d = Single(Parse("model: model\nbudget:\n\tfraction: 0.1\n"));
        Assert.Equal("DOP020", d.Code);
        Assert.Contains("tab", d.Message);
    }

    [Fact]
    public void Dop020UnclosedBracketIsPlacedAfterTheLastGoodToken()
    {
        AssertAt(Single(Parse("model: model\nvalidation: [val.jsonl\nbudget: {fraction: 0.1}\n")), "DOP020", 2, 13);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Dop020EmptySpec(string yaml)
    {
        AssertAt(Single(Parse(yaml)), "DOP020", 1, 1);
    }

    [Fact]
    public void Dop020TopLevelNotAMapping()
    {
        AssertAt(Single(Parse("- model\n- budget\n")), "DOP020", 1, 1);
    }

    [Fact]
    public void Dop021UnknownKeyWithSuggestion()
    {
        var d = Single(Parse(Minimal + "\nprecison: bf16\n"));
        AssertAt(d, "DOP021", 5, 1);
        Assert.Contains("Unknown key 'precison' in the spec. Did you mean 'precision'?", d.Message);
    }

    [Fact]
    public void Dop021NestedUnknownKeyWithSuggestion()
    {
        var d = Single(Parse("model: model\nvalidation: val.jsonl\nbudget:\n  fracton: 0.2\n"));
        AssertAt(d, "DOP021", 4, 3);
        Assert.Contains("Did you mean 'fraction'?", d.Message);
    }

    [Fact]
    public void Dop021TypoOfARequiredKeyIsNotAlsoReportedMissing()
    {
        var d = Single(Parse("model: model\nvalidaton: val.jsonl\nbudget: {fraction: 0.2}\n"));
        AssertAt(d, "DOP021", 2, 1);
        Assert.Contains("Did you mean 'validation'?", d.Message);
    }

    [Fact]
    public void Dop021UnrelatedUnknownKeyDoesNotHideAMissingKey()
    {
        var result = Parse("model: model\nvalidation: val.jsonl\nzzzzzzzz: 1\n");
        Assert.Equal([("DOP024", 1, 1), ("DOP021", 3, 1)], result.Diagnostics.Select(d => (d.Code, d.Line, d.Column)));
    }

    [Fact]
    public void Dop021NoSuggestionForUnrelatedKey()
    {
        var d = Single(Parse(Minimal + "\nzzzzzzzz: 1\n"));
        Assert.Equal("DOP021", d.Code);
        Assert.DoesNotContain("Did you mean", d.Message);
    }

    [Fact]
    public void Dop022WrongType()
    {
        var d = Single(Parse("model: model\nvalidation:\n  path: val.jsonl\n  limit: \"5\"\nbudget: {fraction: 0.5}\n"));
        AssertAt(d, "DOP022", 4, 10);
        Assert.Equal("'limit' must be an integer, found the quoted string \"5\".", d.Message);
    }

    [Fact]
    public void Dop022ListWhereScalarExpected()
    {
        var d = Single(Parse(Minimal + "\ndevice: [cpu]\n"));
        AssertAt(d, "DOP022", 5, 9);
    }

    [Fact]
    public void Dop023OutOfRange()
    {
        var d = Single(Parse("model: model\nvalidation: val.jsonl\nbudget:\n  fraction: 1.5\n"));
        AssertAt(d, "DOP023", 4, 13);
        Assert.Equal("'fraction' must be in (0, 1], found 1.5.", d.Message);
    }

    [Fact]
    public void Dop023UnknownWordWithSuggestion()
    {
        var d = Single(Parse(Minimal + "\ndevice: cdua\n"));
        AssertAt(d, "DOP023", 5, 9);
        Assert.Equal("'device' must be one of auto, cpu, cuda, found 'cdua'. Did you mean 'cuda'?", d.Message);
    }

    [Theory]
    [InlineData("divergence:\n  max_positions: 65\n", 6, 18)]
    [InlineData("divergence:\n  max_positions: 0\n", 6, 18)]
    [InlineData("grid:\n  step: 0\n", 6, 9)]
    [InlineData("grid:\n  n_v: [10, 0]\n", 6, 13)]
    [InlineData("groups:\n  - source: image\n    cls_split: {key_fraction: 1}\n", 7, 31)]
    [InlineData("groups:\n  - source: image\n    ranking: random\n", 7, 14)]
    public void Dop023Ranges(string extra, int line, int column)
    {
        AssertAt(Single(Parse(Minimal + "\n" + extra)), "DOP023", line, column);
    }

    [Fact]
    public void Dop024MissingRequiredKey()
    {
        var d = Single(Parse("model: model\nbudget:\n  fraction: 0.2\n"));
        AssertAt(d, "DOP024", 1, 1);
        Assert.Equal("Required key 'validation' is missing from the spec.", d.Message);
    }

    [Fact]
    public void Dop024KeyWithoutValue()
    {
        AssertAt(Single(Parse("model:\nvalidation: val.jsonl\nbudget: {fraction: 0.2}\n")), "DOP024", 1, 1);
    }

    [Fact]
    public void Dop024EmptyBudget()
    {
        var d = Single(Parse("model: model\nvalidation: val.jsonl\nbudget: {}\n"));
        AssertAt(d, "DOP024", 3, 9);
    }

    [Fact]
    public void Dop025MissingModelFolder()
    {
        var d = Single(Parse("model: nowhere\nvalidation: val.jsonl\nbudget: {fraction: 0.2}\n"));
        AssertAt(d, "DOP025", 1, 8);
        Assert.StartsWith("Model folder 'nowhere' does not exist", d.Message);
    }

    [Fact]
    public void Dop025ModelFolderWithoutConfig()
    {
        Directory.CreateDirectory(_folder.PathOf("empty"));
        var d = Single(Parse("model: empty\nvalidation: val.jsonl\nbudget: {fraction: 0.2}\n"));
        AssertAt(d, "DOP025", 1, 8);
        Assert.Equal("Model folder 'empty' has no config.json.", d.Message);
    }

    [Fact]
    public void Dop025MissingValidationFile()
    {
        var d = Single(Parse("model: model\nvalidation:\n  path: missing.jsonl\nbudget: {fraction: 0.2}\n"));
        AssertAt(d, "DOP025", 3, 9);
    }

    [Fact]
    public void Dop026TwoBudgets()
    {
        var d = Single(Parse("model: model\nvalidation: val.jsonl\nbudget:\n  fraction: 0.2\n  tflops: 1.0\n"));
        AssertAt(d, "DOP026", 5, 3);
        Assert.Contains("'fraction' is already given", d.Message);
    }

    [Fact]
    public void Dop026ClsSplitOnTextGroup()
    {
        var d = Single(Parse(Minimal + "\ngroups:\n  - source: text\n    cls_split: {key_fraction: 0.5}\n"));
        AssertAt(d, "DOP026", 7, 5);
    }

    [Fact]
    public void Dop026RankingOnSystemGroup()
    {
        var d = Single(Parse(Minimal + "\ngroups:\n  - source: system\n    ranking: spread\n"));
        AssertAt(d, "DOP026", 7, 5);
    }

    [Fact]
    public void Dop027DuplicateKey()
    {
        var d = Single(Parse(Minimal + "\nseed: 1\nseed: 2\n"));
        AssertAt(d, "DOP027", 6, 1);
        Assert.Equal("Duplicate key 'seed' in the spec (first given at line 5).", d.Message);
    }

    [Fact]
    public void Dop027ModuleListedTwice()
    {
        AssertAt(Single(Parse(Minimal + "\nmodules: [mlp, mlp]\n")), "DOP027", 5, 16);
    }

    [Theory]
    [InlineData("output:\n  class_name: 9Lives\n", 6, 15)]
    [InlineData("output:\n  class_name: class\n", 6, 15)]
    [InlineData("output:\n  namespace: My..Ns\n", 6, 14)]
    [InlineData("groups:\n  - name: my-group\n    source: image\n", 6, 11)]
    public void Dop028InvalidIdentifier(string extra, int line, int column)
    {
        AssertAt(Single(Parse(Minimal + "\n" + extra)), "DOP028", line, column);
    }

    [Fact]
    public void Dop029TwoGroupsWithOneSource()
    {
        var d = Single(Parse(Minimal + "\ngroups:\n  - {name: a, source: image}\n  - {name: b, source: image}\n"));
        AssertAt(d, "DOP029", 7, 23);
    }

    [Fact]
    public void Dop029SplitNameCollides()
    {
        var d = Single(Parse(Minimal + "\ngroups:\n  - {name: vis, source: image, cls_split: {key_fraction: 0.5}}\n  - {name: vis_key, source: text}\n"));
        AssertAt(d, "DOP029", 7, 12);
    }

    [Fact]
    public void Dop030NothingPrunable()
    {
        var d = Single(Parse(Minimal + "\ngroups:\n  - source: image\n    prunable: false\n"));
        AssertAt(d, "DOP030", 6, 3);
        Assert.Equal("DOP030", Single(Parse(Minimal + "\nmodules: []\n")).Code);
    }

    [Fact]
    public void ManyErrorsAreReportedTogetherInFileOrder()
    {
        const string yaml = """
            model: nowhere
            validation:
              path: val.jsonl
              limt: 4
            budget:
              fraction: 0
              tflops: 2
            device: gpu
            divergence:
              max_positions: many
            output:
              class_name: "has space"
            seed: 1
            seed: 2
            """;
        var result = Parse(yaml);
        Assert.False(result.Succeeded);
        Assert.Equal(
            [
                ("DOP025", 1, 8),
                ("DOP021", 4, 3),
                ("DOP023", 6, 13),
                ("DOP026", 7, 3),
                ("DOP023", 8, 9),
                ("DOP022", 10, 18),
                ("DOP028", 12, 15),
                ("DOP027", 14, 1),
            ],
            result.Diagnostics.Select(d => (d.Code, d.Line, d.Column)));
        Assert.Contains("Did you mean 'limit'?", result.Diagnostics[1].Message);
        Assert.Contains("Did you mean 'cpu'?", result.Diagnostics[4].Message);
    }

    [Theory]
    [InlineData("{a: [}")]
    [InlineData("\"unterminated")]
    [InlineData("model: model\n---\nmodel: again\n")]
    [InlineData("? [complex, key]\n: value\n")]
    [InlineData("model: *nowhere\n")]
    [InlineData("groups: [1, [2], {source: 3}]\nbudget: [fraction]\nvalidation: {}\noutput: x\n")]
    [InlineData("\u0000\u0001\u0002")]
    [InlineData("model: !!binary aGVsbG8=\n")]
    public void OddInputGivesDiagnosticsNeverExceptions(string yaml)
    {
        var result = Parse(yaml);
        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Diagnostics);
        Assert.All(result.Diagnostics, d => Assert.True(d.Line >= 1 && d.Column >= 1, d.ToString()));
    }

    [Fact]
    public void GetValueOrThrowThrowsWithAllDiagnostics()
    {
        var result = Parse("model: x\n");
        var e = Assert.Throws<SpecException>(result.GetValueOrThrow);
        Assert.Equal(result.Diagnostics, e.Diagnostics);
        Assert.Contains("DOP024", e.Message);
    }

    [Fact]
    public void AliasesAreResolved()
    {
        var spec = Parse("model: &m model\nvalidation: val.jsonl\nbudget: {latency_fraction: 0.3}\n").GetValueOrThrow();
        Assert.Equal(new BudgetSpec { Kind = BudgetKind.LatencyFraction, Value = 0.3 }, spec.Budget);
    }

    [Fact]
    public void CodeTableIsInRangeAndDocumented()
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "spec.md"));
        foreach (var (code, meaning) in SpecDiagnosticCodes.All)
        {
            var number = int.Parse(code[3..]);
            Assert.InRange(number, 20, 39);
            Assert.False(string.IsNullOrWhiteSpace(meaning));
            Assert.Contains($"| {code} |", docs);
        }

        foreach (var key in DopSpecParser.TopLevelKeys)
        {
            Assert.Contains($"`{key}`", docs);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repo root not found");
    }
}
