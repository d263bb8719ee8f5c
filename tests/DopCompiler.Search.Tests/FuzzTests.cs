using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Spec;
using DopCompiler.TestFixtures;
using Xunit.Abstractions;

namespace DopCompiler.Search.Tests;

/// <summary>
/// The fuzz harness (issue 20): seeded mutations of valid inputs fed to each reader of user files. Every case must
/// end in success or a coded diagnostic (<c>DOP0xx</c>, not the internal DOP099) and never another exception type.
/// CI runs <see cref="DefaultCases"/> cases per reader with a fixed seed; a longer local run:
/// <c>DOP_FUZZ_CASES=200000 DOP_FUZZ_SEED=7 dotnet test tests/DopCompiler.Search.Tests -c Release --filter FullyQualifiedName~FuzzTests --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed partial class FuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Cases per reader in CI: all five readers together stay well under a minute on two cores.</summary>
    public const int DefaultCases = 1200;

    private readonly string _folder = Directory.CreateTempSubdirectory("dop-fuzz-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("DOP_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultCases;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("DOP_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 20;

    [Fact]
    public void SafetensorsHeaderReaderGivesSuccessOrACodedError()
    {
        var path = Path.Combine(_folder, "model.safetensors");
        var valid = RawSafetensors.Build(
            """{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b.bias":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"F16","shape":[0],"data_offsets":[32,32]}}""",
            new byte[32]);
        Run("safetensors", valid, path, () =>
        {
            using var file = SafetensorsFile.Open(path);
            foreach (var name in file.Tensors.Keys)
            {
                // Mapping the data is where an unchecked offset would read outside the file.
                using var tensor = file.Load(name);
            }
        });
    }

    [Fact]
    public void ConfigReaderGivesSuccessOrACodedError()
    {
        var path = Path.Combine(_folder, "config.json");
        Run("config.json", Encoding.UTF8.GetBytes(TinyLlavaCheckpoint.ConfigJson(new TinyLlavaOptions())), path, () => ModelConfigReader.Read(_folder));
    }

    [Fact]
    public void SpecParserGivesSuccessOrCodedDiagnostics()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "model"));
        File.WriteAllText(Path.Combine(_folder, "model", "config.json"), "{}");
        File.WriteAllText(Path.Combine(_folder, "val.jsonl"), "{}\n");
        var path = Path.Combine(_folder, "dop.yaml");
        var valid = """
            model: model
            validation:
              path: val.jsonl
              limit: 4
            groups:
              - name: sys
                source: system
              - source: image
                prunable: true
                cls_split: { key_fraction: 0.25 }
              - source: text
                prunable: true
            modules: [attention, mlp]
            budget:
              fraction: 0.14
              on_unreachable: cheapest
            divergence: { positions: teacher_forced, max_positions: 8 }
            grid:
              step: 1
              n_v: [9, 18]
            device: cpu
            seed: 3
            output:
              class_name: FuzzDop
              namespace: Fuzz.Generated
            """;
        Run("dop.yaml", Encoding.UTF8.GetBytes(valid), path, () => Diagnostics(DopSpecParser.Parse(path).Diagnostics, succeeded: null));
    }

    [Fact]
    public void ValidationSetReaderGivesSuccessOrCodedDiagnostics()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "images"));
        File.WriteAllBytes(Path.Combine(_folder, "images", "a.png"), Png.Rgb(4, 4, (x, y) => ((byte)x, (byte)y, 9)));
        var path = Path.Combine(_folder, "val.jsonl");
        var valid = """
            {"image": "images/a.png", "prompt": "USER: <image>\nWhat colour?\nASSISTANT:", "answer": "red", "type": "ColorOf"}
            {"image": "images/a.png", "prompt": "USER: <image>\nHow many?\nASSISTANT:", "answer": "2", "type": null}

            {"image": "images/a.png", "prompt": "é ✓", "answer": "yes", "id": 7}
            """;
        Run("validation set", Encoding.UTF8.GetBytes(valid), path, () =>
        {
            var result = ValidationSetReader.Read(path);
            Diagnostics(result.Diagnostics, result.Succeeded);
        });
    }

    [Fact]
    public void PolicyReaderGivesSuccessOrACodedError()
    {
        var model = Path.Combine(_folder, "model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), TinyLlavaCheckpoint.ConfigJson(TinySearchProject.DefaultOptions));
        var path = Path.Combine(_folder, "p.policy.json");
        Run("policy", TinyPolicy.Json(model, "sha256:00"), path, () => Document.PolicyFileReader.Read(path));
    }

    /// <summary>Feeds <see cref="Cases"/> mutations of <paramref name="valid"/>, written to <paramref name="path"/>, to <paramref name="read"/>.</summary>
    private void Run(string reader, byte[] valid, string path, Action read)
    {
        File.WriteAllBytes(path, valid);
        Assert.Null(Outcome(read)); // the base input itself is accepted or refused with a code

        var mutator = new Mutator(Seed);
        int accepted = 0, coded = 0;
        var failures = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            File.WriteAllBytes(path, mutator.Mutate(valid));
            switch (Outcome(read))
            {
                case null:
                    accepted++;
                    break;
                case "coded":
                    coded++;
                    break;
                case { } failure when failures.Count < 5:
                    failures.Add($"case {i}: {failure}");
                    break;
            }
        }

        output.WriteLine($"fuzz: {reader}: {Cases} cases (seed {Seed}): {accepted} accepted, {coded} coded errors, {Cases - accepted - coded} other");
        Assert.True(failures.Count == 0, $"{reader} (seed {Seed}) threw uncoded exceptions:\n{string.Join("\n", failures)}");
    }

    /// <summary>Null for success, "coded" for a coded diagnostic, otherwise what went wrong.</summary>
    private static string? Outcome(Action read)
    {
        try
        {
            read();
            return null;
        }
        catch (DopException e) when (IsUserCode(e.Code))
        {
            return "coded";
        }
        catch (SpecException e) when (e.Diagnostics.Count > 0 && e.Diagnostics.All(d => IsUserCode(d.Code)))
        {
            return "coded";
        }
        catch (CodedDiagnostics)
        {
            return "coded";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Readers that return diagnostics instead of throwing: each one coded, and none on success.</summary>
    private static void Diagnostics(IReadOnlyCollection<SpecDiagnostic> diagnostics, bool? succeeded)
    {
        if (diagnostics.Count == 0)
        {
            return;
        }

        var uncoded = diagnostics.FirstOrDefault(d => !IsUserCode(d.Code));
        if (uncoded is not null || succeeded == true)
        {
            throw new InvalidOperationException($"uncoded or contradictory diagnostics: {string.Join("; ", diagnostics)}");
        }

        throw new CodedDiagnostics();
    }

    private static bool IsUserCode(string code) => CodePattern().IsMatch(code) && code != "DOP099";

    [GeneratedRegex("^DOP0[0-9]{2}$")]
    private static partial Regex CodePattern();

    /// <summary>Marks a run that returned coded diagnostics (counted as "coded").</summary>
    private sealed class CodedDiagnostics : Exception;
}
