using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Search;
using DopCompiler.Search.Evaluation;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Issue 4's time-model check: fit t(n) on this machine, then for random policies compare the predicted decoder prefill
/// time with the measured one (median over the validation samples, interleaved rounds). Goal: median relative error ≤ 15%.
/// </summary>
public static class TimeModelBenchmark
{
    public static void Run(Options options)
    {
        var spec = BenchSpec.Load(options);
        var count = options.Int("policies", 10);
        var rounds = options.Int("rounds", 5);
        var validation = ValidationSetReader.Read(spec.Validation).GetValueOrThrow();
        using var model = LlavaModel.Load(spec.Model);
        var groups = SearchContext.GroupsOf(spec);
        var tokenizer = DopCompiler.Model.Text.ModelTokenizer.Load(spec.Model);
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(spec.Model, "preprocessor_config.json"));
        var samples = validation.Samples.Take(4).Select(s => PromptSample.Create(model, tokenizer, preprocessor, groups, s.ImagePath, s.Prompt)).ToArray();
        var meanTokens = samples.Average(s => s.Segments.Length);
        var time = TimeModelProbe.Fit(model, (int)Math.Ceiling(meanTokens));
        Console.WriteLine($"time model on {time.Machine}: attention {time.AttentionA:0.000} + {time.AttentionB:0.0000}·n + {time.AttentionC:0.000000}·n² ms, MLP {time.MlpA:0.000} + {time.MlpB:0.0000}·n ms");

        var layers = model.Config.Text.NumLayers;
        var random = new Random(spec.Seed + 17);
        var prunable = groups.Where(g => g.Prunable).Select(g => g.Name).ToArray();
        var errors = new List<double>();
        Console.WriteLine($"  {"policy",-44}{"predicted ms",14}{"measured ms",13}{"rel. error",12}");
        for (var i = 0; i < count; i++)
        {
            var policy = i == 0 ? DepthPolicy.Empty : new DepthPolicy(
                prunable.ToDictionary(g => g, _ => random.Next(layers + 1)), prunable.ToDictionary(g => g, _ => random.Next(layers + 1)));
            var plans = samples.Select(s => s.Plan(model, policy)).ToArray();
            var predicted = samples.Average(s => PredictedMilliseconds(time, plans[Array.IndexOf(samples, s)]));
            var measured = Timing.InterleavedMedians(rounds, 1, samples.Select((s, k) => (Action)(() =>
            {
                using var scope = NewDisposeScope();
                using var hidden = PrunedForward.RunLayers(model, s.Embeddings, plans[k], 0, layers);
            })).ToArray()).Average();
            var error = Math.Abs(predicted - measured) / measured;
            errors.Add(error);
            Console.WriteLine($"  {DopSearch.Describe(policy),-44}{predicted,14:0.00}{measured,13:0.00}{error * 100,11:0.0}%");
            foreach (var plan in plans)
            {
                plan.Dispose();
            }
        }

        Console.WriteLine($"median relative error {DopCompiler.Search.SampleStatistics.Median(errors) * 100:0.0}% (goal <= 15%)");
        foreach (var s in samples)
        {
            s.Dispose();
        }
    }

    /// <summary>The time model's prediction for one sample's plan: Σ over layers of attention(n_att) + MLP(n_mlp).</summary>
    private static double PredictedMilliseconds(TimeModel time, ExecutionPlan plan) =>
        plan.Layers.Sum(l => (l.Attention.IsEmpty ? 0 : time.Attention(l.Attention.Count)) + (l.Mlp.IsEmpty ? 0 : time.MlpFixed + (time.MlpPerToken * l.Mlp.Count)));
}
