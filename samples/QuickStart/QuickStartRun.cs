using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace QuickStart;

/// <summary>
/// Answers test questions with the generated <see cref="ShapesVlmDop"/> and with the unpruned model, and prints
/// accuracy, decoder prefill FLOPs and latency side by side. <c>--limit N</c> sets how many test samples (default 200).
/// </summary>
public static class QuickStartRun
{
    public static int Run(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var limit = args.Length >= 2 && args[0] == "--limit" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var projectDir = Metadata("QuickStartProjectDir");
        var modelDir = Path.GetFullPath(Path.Combine(projectDir, "..", "ShapesVlm", "model"));
        var testSet = Path.GetFullPath(Path.Combine(projectDir, "..", "ShapesVlm", "data", "test.jsonl"));
        var samples = ValidationSetReader.Read(testSet, limit).GetValueOrThrow().Samples;

        using var pruned = ShapesVlmDop.Load(modelDir);
        var model = pruned.Model; // the same weights; the unpruned reference runs on them too
        var tokenizer = ModelTokenizer.Load(modelDir);
        var eos = tokenizer.EosId ?? -1;
        var flopsModel = new FlopsModel(model.Config.Text, FlopsConvention.Gqa);
        int prunedCorrect = 0, unprunedCorrect = 0;
        double prunedFlops = 0, unprunedFlops = 0;
        var prunedMs = new List<double>();
        var unprunedMs = new List<double>();
        Console.WriteLine($"answering {samples.Count} test questions with ShapesVlmDop and with the unpruned model ...");
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var ids = tokenizer.EncodePrompt(sample.Prompt);
            using var pixels = pruned.LoadPixels(sample.ImagePath);
            var (features, cls) = model.EncodeImage(pixels);
            var embeddings = model.EmbedPrompt(ids, features, out var segments);
            var clsScores = cls.data<float>().ToArray();

            // Decoder prefill, interleaved: unpruned reference, then the generated class (which also counts its FLOPs).
            var executed = new ExecutedFlops();
            var start = Stopwatch.GetTimestamp();
            model.ReferencePrefill(embeddings, [segments.Length - 1]);
            var middle = Stopwatch.GetTimestamp();
            pruned.Prefill(embeddings, segments, clsScores, flops: executed);
            var end = Stopwatch.GetTimestamp();
            unprunedMs.Add(Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds);
            prunedMs.Add(Stopwatch.GetElapsedTime(middle, end).TotalMilliseconds);
            prunedFlops += executed.Total;
            var layout = TokenGroupLayout.ForLlava(segments);
            unprunedFlops += flopsModel.Prefill(OperationMask.KeepAll(layout.Groups.Select(g => g.Name).ToArray(), model.Config.Text.NumLayers), layout).Total;

            var answer = tokenizer.Decode(pruned.Generate(pixels, ids, maxNewTokens: 8, eos)).Trim();
            var reference = tokenizer.Decode(GreedyDecoder.Generate(model, embeddings, plan: null, maxNewTokens: 8, eos)).Trim();
            prunedCorrect += answer == sample.Answer.Trim() ? 1 : 0;
            unprunedCorrect += reference == sample.Answer.Trim() ? 1 : 0;
        }

        var n = (double)samples.Count;
        var intermediate = Metadata("QuickStartIntermediateDir");
        var generated = Directory.Exists(Path.Combine(intermediate, "generated"))
            ? Directory.GetFiles(Path.Combine(intermediate, "generated"), "*ShapesVlmDop.g.cs", SearchOption.AllDirectories).FirstOrDefault()
            : null;
        var report = Path.Combine(intermediate, "dop", "dop.policy.html");
        Console.WriteLine();
        Console.WriteLine($"{"",-28}{"unpruned",12}{"ShapesVlmDop",14}");
        Console.WriteLine($"{"accuracy (" + samples.Count + " test questions)",-28}{unprunedCorrect / n * 100,11:0.0}%{prunedCorrect / n * 100,13:0.0}%");
        Console.WriteLine($"{"decoder prefill MFLOPs",-28}{unprunedFlops / n / 1e6,12:0.0}{prunedFlops / n / 1e6,14:0.0}   ({prunedFlops / unprunedFlops:0.000} of unpruned)");
        Console.WriteLine($"{"decoder prefill ms (median)",-28}{Median(unprunedMs),12:0.00}{Median(prunedMs),14:0.00}   ({Median(prunedMs) / Median(unprunedMs):0.000} of unpruned)");
        Console.WriteLine();
        Console.WriteLine($"budget {ShapesVlmDop.BudgetKind} {ShapesVlmDop.BudgetAsked} asked, {ShapesVlmDop.BudgetReached:0.0000} reached at the validation set's mean layout; KL predicted {ShapesVlmDop.PredictedKl:0.#####}, measured {ShapesVlmDop.MeasuredKl:0.#####}");
        Console.WriteLine($"generated class: {generated ?? "(build with EmitCompilerGeneratedFiles=true to see it)"}");
        Console.WriteLine($"HTML report:     {(File.Exists(report) ? report : "(not found: " + report + ")")}");
        Console.WriteLine($"same figures from the CLI: dotnet src/DopCompiler.Cli/bin/Debug/net10.0/dop.dll eval --model samples/ShapesVlm/model --data samples/ShapesVlm/data/test.jsonl --limit {samples.Count} --policy {Path.Combine(intermediate, "dop", "dop.policy.json")}");
        return 0;
    }

    private static string Metadata(string key) =>
        typeof(QuickStartRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
