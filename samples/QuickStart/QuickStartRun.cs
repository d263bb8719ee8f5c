using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace QuickStart;

/// <summary>
/// Answers test questions with every variant of the generated <see cref="ShapesVlmDop"/> (one per budget of dop.yaml)
/// and with the unpruned model, and prints accuracy, decoder prefill FLOPs and latency side by side. <c>--limit N</c>
/// sets how many test samples (default 200). <c>&lt;image&gt; &lt;question&gt;</c> answers one question with <c>Load()</c>
/// alone: the trimmed model the build (and <c>dotnet publish</c>) put next to the app, no source model, no tokenizer code.
/// </summary>
public static class QuickStartRun
{
    /// <summary>The sample model's prompt template (its validation and test prompts are written this way).</summary>
    private const string PromptTemplate = "SYSTEM: Answer the question about the shapes in the image.\nUSER: <image>\n{0}\nASSISTANT:";

    public static int Run(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 2 && args[0] != "--limit")
        {
            return Answer(args[0], args[1]);
        }

        var limit = args.Length >= 2 && args[0] == "--limit" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var projectDir = Metadata("QuickStartProjectDir");
        var modelDir = Path.GetFullPath(Path.Combine(projectDir, "..", "ShapesVlm", "model"));
        var testSet = Path.GetFullPath(Path.Combine(projectDir, "..", "ShapesVlm", "data", "test.jsonl"));
        var samples = ValidationSetReader.Read(testSet, limit).GetValueOrThrow().Samples;

        using var pruned = ShapesVlmDop.Load(modelDir);
        var model = pruned.Model; // the same weights; the unpruned reference runs on them too
        var tokenizer = pruned.Tokenizer;
        var eos = tokenizer.EosId ?? -1;
        var flopsModel = new FlopsModel(model.Config.Text, FlopsConvention.Gqa);
        var variants = Enum.GetValues<ShapesVlmDop.Variant>();
        var correct = new int[variants.Length];
        var flops = new double[variants.Length];
        var ms = variants.Select(_ => new List<double>()).ToArray();
        int unprunedCorrect = 0;
        double unprunedFlops = 0;
        var unprunedMs = new List<double>();
        Console.WriteLine($"answering {samples.Count} test questions with ShapesVlmDop ({string.Join(", ", variants)}) and with the unpruned model ...");
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var ids = tokenizer.EncodePrompt(sample.Prompt);
            using var pixels = pruned.LoadPixels(sample.ImagePath);
            var (features, cls) = model.EncodeImage(pixels);
            var embeddings = model.EmbedPrompt(ids, features, out var segments);
            var clsScores = cls.data<float>().ToArray();

            // Decoder prefill, interleaved: unpruned reference, then each variant of the generated class (which also counts its FLOPs).
            var start = Stopwatch.GetTimestamp();
            model.ReferencePrefill(embeddings, [segments.Length - 1]);
            unprunedMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            var layout = TokenGroupLayout.ForLlava(segments);
            unprunedFlops += flopsModel.Prefill(OperationMask.KeepAll(layout.Groups.Select(g => g.Name).ToArray(), model.Config.Text.NumLayers), layout).Total;
            var reference = tokenizer.Decode(GreedyDecoder.Generate(model, embeddings, plan: null, maxNewTokens: 8, eos)).Trim();
            unprunedCorrect += reference == sample.Answer.Trim() ? 1 : 0;
            for (var v = 0; v < variants.Length; v++)
            {
                var executed = new ExecutedFlops();
                start = Stopwatch.GetTimestamp();
                pruned.Prefill(embeddings, segments, variants[v], clsScores, flops: executed);
                ms[v].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                flops[v] += executed.Total;
                var answer = tokenizer.Decode(pruned.Generate(pixels, ids, variants[v], maxNewTokens: 8, eos)).Trim();
                correct[v] += answer == sample.Answer.Trim() ? 1 : 0;
            }
        }

        var n = (double)samples.Count;
        var intermediate = Metadata("QuickStartIntermediateDir");
        var generated = Directory.Exists(Path.Combine(intermediate, "generated"))
            ? Directory.GetFiles(Path.Combine(intermediate, "generated"), "*ShapesVlmDop.g.cs", SearchOption.AllDirectories).FirstOrDefault()
            : null;
        var report = Path.Combine(intermediate, "dop", "dop.policy.html");
        var unprunedMedian = Median(unprunedMs);
        Console.WriteLine();
        Console.WriteLine($"{"",-30}{"unpruned",12}" + string.Concat(variants.Select(v => $"{"Variant." + v,16}")));
        Console.WriteLine($"{"accuracy (" + samples.Count + " test questions)",-30}{unprunedCorrect / n * 100,11:0.0}%" + string.Concat(correct.Select(c => $"{c / n * 100,15:0.0}%")));
        Console.WriteLine($"{"decoder prefill MFLOPs",-30}{unprunedFlops / n / 1e6,12:0.0}" + string.Concat(flops.Select(f => $"{f / n / 1e6,16:0.0}")));
        Console.WriteLine($"{"  FLOPs fraction (measured)",-30}{1,12:0.000}" + string.Concat(flops.Select(f => $"{f / unprunedFlops,16:0.000}")));
        Console.WriteLine($"{"decoder prefill ms (median)",-30}{unprunedMedian,12:0.00}" + string.Concat(ms.Select(m => $"{Median(m),16:0.00}")));
        Console.WriteLine($"{"  time fraction (measured)",-30}{1,12:0.000}" + string.Concat(ms.Select(m => $"{Median(m) / unprunedMedian,16:0.000}")));
        Console.WriteLine();
        foreach (var variant in variants)
        {
            var info = ShapesVlmDop.InfoOf(variant);
            // A quality target's "reached" is the value measured on the validation set; a cost budget's, the mean over the validation samples of each one's cost.
            var reached = info.BudgetKind.StartsWith("max_", StringComparison.Ordinal)
                ? $"{info.BudgetReached:0.0000} measured on the validation set"
                : $"{info.BudgetReached:0.0000} reached on average over the validation samples";
            Console.WriteLine($"Variant.{variant}: budget {info.BudgetKind} {info.BudgetAsked} asked, {reached} "
                + $"(FLOPs fraction {info.FlopsFraction:0.0000}); KL predicted {info.PredictedKl:0.#####}, measured {info.MeasuredKl:0.#####}");
        }

        Console.WriteLine($"generated class: {generated ?? "(build with EmitCompilerGeneratedFiles=true to see it)"}");
        Console.WriteLine($"HTML report:     {(File.Exists(report) ? report : "(not found: " + report + ")")}");
        Console.WriteLine($"same figures from the CLI: dotnet src/DopCompiler.Cli/bin/Debug/net10.0/dop.dll eval --model samples/ShapesVlm/model --data samples/ShapesVlm/data/test.jsonl --limit {samples.Count} --policy {Path.Combine(intermediate, "dop", "dop.policy.json")} --variant <name>");
        Console.WriteLine($"one question, Load() alone (also after dotnet publish): dotnet run --project samples/QuickStart -- samples/ShapesVlm/data/images/test_0000.png \"what shape is directly left of the green one?\"");
        return 0;
    }

    /// <summary>One question with every variant: <c>Load()</c> opens the trimmed model next to the app; <c>Answer</c> uses its tokenizer.</summary>
    private static int Answer(string imagePath, string question)
    {
        using var model = ShapesVlmDop.Load();
        var prompt = string.Format(CultureInfo.InvariantCulture, PromptTemplate, question);
        foreach (var variant in Enum.GetValues<ShapesVlmDop.Variant>())
        {
            Console.WriteLine($"{variant}: {model.Answer(imagePath, prompt, variant)}");
        }

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
