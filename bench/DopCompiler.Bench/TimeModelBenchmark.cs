using DopCompiler.Inputs.Images;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Search;
using DopCompiler.Search.Evaluation;
using DopCompiler.Search.Timing;
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
        var rounds = options.Int("rounds", 10);
        var validation = ValidationSetReader.Read(spec.Validation).GetValueOrThrow();
        using var model = LlavaModel.Load(spec.Model);
        var groups = SearchContext.GroupsOf(spec);
        var tokenizer = DopCompiler.Model.Text.ModelTokenizer.Load(spec.Model);
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(spec.Model, "preprocessor_config.json"));
        var samples = validation.Samples.Take(4).Select(s => PromptSample.Create(model, tokenizer, preprocessor, groups, s.ImagePath, s.Prompt)).ToArray();
        var meanTokens = samples.Average(s => s.Segments.Length);
        var points = TimeModelProbe.Measure(model, (int)Math.Ceiling(meanTokens));
        var time = TimeModelProbe.Fit(points);
        Console.WriteLine($"time model on {time.Machine}: attention {time.AttentionA:0.000} + {time.AttentionB:0.0000}·n + {time.AttentionC:0.000000}·n² ms, MLP {time.MlpA:0.000} + {time.MlpB:0.0000}·n ms");
        Console.WriteLine($"  probe (one layer): {string.Join("; ", points.Select(p => $"att {p.AttentionRows} mlp {p.MlpRows}: {p.Milliseconds:0.000} ms (fit {time.Attention(p.AttentionRows) + time.MlpFixed + (time.MlpPerToken * p.MlpRows):0.000})"))}");

        var layers = model.Config.Text.NumLayers;
        var random = new Random(spec.Seed + 17);
        var prunable = groups.Where(g => g.Prunable).Select(g => g.Name).ToArray();
        var policies = Enumerable.Range(0, count).Select(i => i == 0 ? DepthPolicy.Empty : new DepthPolicy(
            prunable.ToDictionary(g => g, _ => random.Next(layers + 1)), prunable.ToDictionary(g => g, _ => random.Next(layers + 1)))).ToArray();
        var plans = policies.Select(p => samples.Select(s => s.Plan(model, p)).ToArray()).ToArray();
        // Every (policy, sample) forward in the same interleaved rounds: the machine's speed drifts by 10–20% over
        // minutes, and measuring the policies one after another would put that drift into the errors.
        var actions = plans.SelectMany(row => row.Select((plan, k) => (Action)(() =>
        {
            using var scope = NewDisposeScope();
            using var hidden = PrunedForward.RunLayers(model, samples[k].Embeddings, plan, 0, layers);
        }))).ToArray();
        var medians = Timing.InterleavedMedians(rounds, 1, actions);
        var measured = plans.Select((row, i) => medians.Skip(i * samples.Length).Take(samples.Length).Average()).ToArray();
        var predicted = plans.Select(row => row.Average(plan => PredictedMilliseconds(time, plan))).ToArray();
        var errors = new List<double>();
        var fractionErrors = new List<double>();
        Console.WriteLine($"  {"policy",-64}{"predicted ms",14}{"measured ms",13}{"rel. error",12}{"pred. frac",12}{"meas. frac",12}{"frac. error",13}");
        for (var i = 0; i < count; i++)
        {
            var error = Math.Abs(predicted[i] - measured[i]) / measured[i];
            var predictedFraction = predicted[i] / predicted[0];
            var measuredFraction = measured[i] / measured[0];
            var fractionError = Math.Abs(predictedFraction - measuredFraction) / measuredFraction;
            errors.Add(error);
            if (i > 0)
            {
                fractionErrors.Add(fractionError);
            }

            Console.WriteLine($"  {DopSearch.Describe(policies[i]),-64}{predicted[i],14:0.00}{measured[i],13:0.00}{error * 100,11:0.0}%{predictedFraction,12:0.000}{measuredFraction,12:0.000}{fractionError * 100,12:0.0}%");
        }

        foreach (var plan in plans.SelectMany(row => row))
        {
            plan.Dispose();
        }

        Console.WriteLine($"median relative error of the time fraction (predicted/unpruned vs measured/unpruned, what latency_fraction budgets use): {DopCompiler.Search.Timing.SampleStatistics.Median(fractionErrors) * 100:0.0}%");
        Console.WriteLine($"median relative error {DopCompiler.Search.Timing.SampleStatistics.Median(errors) * 100:0.0}% (goal <= 15%)");
        foreach (var s in samples)
        {
            s.Dispose();
        }
    }

    /// <summary>The time model's prediction for one sample's plan: Σ over layers of attention(n_att) + MLP(n_mlp).</summary>
    private static double PredictedMilliseconds(TimeModel time, ExecutionPlan plan) =>
        plan.Layers.Sum(l => (l.Attention.IsEmpty ? 0 : time.Attention(l.Attention.Count)) + (l.Mlp.IsEmpty ? 0 : time.MlpFixed + (time.MlpPerToken * l.Mlp.Count)));
}
