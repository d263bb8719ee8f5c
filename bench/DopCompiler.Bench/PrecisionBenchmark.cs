using System.Diagnostics;
using System.Globalization;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Search.Evaluation;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// bf16 against fp32 on a real model (default: the shipped sample): the machine's probe, exact-match accuracy of each,
/// the KL noise floor KL(fp32 ‖ bf16) of the unpruned model, next to the smallest curve values the search measures
/// (the deepest layer's image attention or MLP pruned, in fp32), and the decoder prefill time of each (interleaved, medians).
/// </summary>
public static class PrecisionBenchmark
{
    public static void Run(Options options)
    {
        var folder = options.String("model") ?? "samples/ShapesVlm/model";
        var dataPath = options.String("data") ?? "samples/ShapesVlm/data/test.jsonl";
        var limit = options.Int("limit", 100);
        var probe = PrecisionProbe.Measure();
        Console.WriteLine($"probe: {probe.Describe()}");
        var data = ValidationSetReader.Read(dataPath, limit);
        if (!data.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", data.Diagnostics));
        }

        using var fp32 = LlavaModel.Load(folder, ComputePrecision.Fp32);
        using var bf16 = LlavaModel.Load(folder, ComputePrecision.Bf16);
        var tokenizer = ModelTokenizer.Load(folder);
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(folder, "preprocessor_config.json"));
        var groups = DatasetEvaluator.GroupsOf(null);
        var layers = fp32.Config.Text.NumLayers;
        var eos = tokenizer.EosId ?? -1;
        var floor = new List<double>();
        var deepAttention = new List<double>();
        var deepMlp = new List<double>();
        var times32 = new List<double>();
        var times16 = new List<double>();
        int correct32 = 0, correct16 = 0, sameAnswer = 0;
        using var noGrad = no_grad();
        foreach (var sample in data.Value!.Samples)
        {
            using var scope = NewDisposeScope();
            using var a = PromptSample.Create(fp32, tokenizer, preprocessor, groups, sample.ImagePath, sample.Prompt);
            using var b = PromptSample.Create(bf16, tokenizer, preprocessor, groups, sample.ImagePath, sample.Prompt);
            var start = Stopwatch.GetTimestamp();
            var reference = fp32.ReferencePrefill(a.Embeddings, [a.LastPosition]);
            var middle = Stopwatch.GetTimestamp();
            var rounded = bf16.ReferencePrefill(b.Embeddings, [b.LastPosition]);
            times32.Add(Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds);
            times16.Add(Stopwatch.GetElapsedTime(middle).TotalMilliseconds);
            var logP = Divergence.LogProbabilities(reference);
            floor.Add(Divergence.MeanKl(logP, Divergence.LogProbabilities(rounded)));
            foreach (var (attention, list) in new[] { (true, deepAttention), (false, deepMlp) })
            {
                var depth = new Dictionary<string, int> { ["image"] = 1 };
                var none = new Dictionary<string, int>();
                var policy = attention ? new DepthPolicy(depth, none) : new DepthPolicy(none, depth);
                using var plan = a.Plan(fp32, policy);
                list.Add(Divergence.MeanKl(logP, Divergence.LogProbabilities(PrunedForward.Prefill(fp32, a.Embeddings, plan))));
            }

            var answer32 = tokenizer.Decode(GreedyDecoder.Generate(fp32, a.Embeddings, null, 8, eos)).Trim();
            var answer16 = tokenizer.Decode(GreedyDecoder.Generate(bf16, b.Embeddings, null, 8, eos)).Trim();
            correct32 += answer32 == sample.Answer.Trim() ? 1 : 0;
            correct16 += answer16 == sample.Answer.Trim() ? 1 : 0;
            sameAnswer += answer32 == answer16 ? 1 : 0;
        }

        var n = floor.Count;
        static double Median(List<double> v) => DopCompiler.Search.Timing.SampleStatistics.Median(v);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            {folder}, {n} samples of {dataPath}, {layers} layers, hidden {fp32.Config.Text.HiddenSize}
            accuracy fp32 {100.0 * correct32 / n:F1}%, bf16 {100.0 * correct16 / n:F1}%, same greedy answer {sameAnswer}/{n}
            KL(fp32 ‖ bf16), unpruned, last position: mean {floor.Average():E2}, median {Median(floor):E2}, max {floor.Max():E2}
            smallest curve points (fp32, image group pruned in the deepest layer only): attention mean {deepAttention.Average():E2} (median {Median(deepAttention):E2}), MLP mean {deepMlp.Average():E2} (median {Median(deepMlp):E2})
            decoder prefill medians: fp32 {Median(times32):F2} ms, bf16 {Median(times16):F2} ms (ratio {Median(times16) / Median(times32):F2})
            """));
    }
}
