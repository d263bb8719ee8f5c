using System.Diagnostics;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Policy;
using DopCompiler.Search.Document;
using DopCompiler.Search.Timing;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Search.Evaluation;

/// <summary>Accuracy, KL, FLOPs and latency of a policy (or the unpruned model) on a JSONL set: <c>dop eval</c>.</summary>
public static class DatasetEvaluator
{
    /// <summary>The groups a policy was searched with, or the default LLaVA groups when there is no policy.</summary>
    public static IReadOnlyList<GroupDefinition> GroupsOf(PolicyDocument? policy) =>
        policy is null
            ? [new("system", "system", false), new("image", "image", true), new("text", "text", false)]
            : GroupDefinition.Of(policy);

    public static DatasetEvaluation Run(string modelFolder, string dataPath, PolicyDocument? policy, int? limit, int maxNewTokens, ISearchProgress progress,
        CancellationToken cancellation = default, ComputePrecision precision = ComputePrecision.Fp32)
    {
        var data = ValidationSetReader.Read(dataPath, limit);
        if (!data.Succeeded)
        {
            throw new SpecException(data.Diagnostics);
        }

        using var model = LlavaModel.Load(modelFolder, precision);
        if (policy is not null && policy.Model.NumLayers != model.Config.Text.NumLayers)
        {
            throw new Model.DopException(Model.DiagnosticCodes.PolicyMismatch,
                $"the policy is for a model of {policy.Model.NumLayers} layers; {modelFolder} has {model.Config.Text.NumLayers}");
        }

        var tokenizer = ModelTokenizer.Load(modelFolder);
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(modelFolder, "preprocessor_config.json"), model.Config.Vision?.ImageSize);
        var groups = GroupsOf(policy);
        var depthPolicy = policy is null ? DepthPolicy.Empty : PolicyDocumentFactory.ToDepthPolicy(policy);
        var flops = new FlopsModel(model.Config.Text, policy?.Flops.Convention == "paper" ? FlopsConvention.Paper : FlopsConvention.Gqa);
        var eos = tokenizer.EosId ?? -1;

        var samples = data.Value!.Samples;
        int correct = 0, unprunedCorrect = 0;
        double klSum = 0, flopsSum = 0, unprunedFlopsSum = 0;
        var prunedTimes = new List<double>();
        var unprunedTimes = new List<double>();
        var perType = new SortedDictionary<string, TypeAccuracy>(StringComparer.Ordinal);
        for (var i = 0; i < samples.Count; i++)
        {
            progress.Step("eval", i, samples.Count);
            cancellation.ThrowIfCancellationRequested();
            var sample = samples[i];
            using var scope = NewDisposeScope();
            using var prompt = PromptSample.Create(model, tokenizer, preprocessor, groups, sample.ImagePath, sample.Prompt);
            using var plan = prompt.Plan(model, depthPolicy);

            // Interleaved timing of the decoder prefill: unpruned, then pruned, on the same input.
            var start = Stopwatch.GetTimestamp();
            var reference = model.ReferencePrefill(prompt.Embeddings, [prompt.LastPosition]);
            var middle = Stopwatch.GetTimestamp();
            var pruned = PrunedForward.Prefill(model, prompt.Embeddings, plan);
            var end = Stopwatch.GetTimestamp();
            unprunedTimes.Add(Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds);
            prunedTimes.Add(Stopwatch.GetElapsedTime(middle, end).TotalMilliseconds);
            klSum += Divergence.MeanKl(Divergence.LogProbabilities(reference), Divergence.LogProbabilities(pruned));
            flopsSum += flops.Prefill(plan.Mask, plan.Layout).Total;
            unprunedFlopsSum += flops.Prefill(OperationMask.KeepAll(plan.Mask.Groups, plan.Mask.Layers), plan.Layout).Total;

            var answer = tokenizer.Decode(GreedyDecoder.Generate(model, prompt.Embeddings, plan, maxNewTokens, eos)).Trim();
            var ok = answer == sample.Answer.Trim();
            correct += ok ? 1 : 0;
            if (policy is not null)
            {
                var unprunedAnswer = tokenizer.Decode(GreedyDecoder.Generate(model, prompt.Embeddings, null, maxNewTokens, eos)).Trim();
                unprunedCorrect += unprunedAnswer == sample.Answer.Trim() ? 1 : 0;
            }

            var type = sample.Type ?? "(untyped)";
            var previous = perType.GetValueOrDefault(type) ?? new TypeAccuracy(0, 0);
            perType[type] = new TypeAccuracy(previous.Correct + (ok ? 1 : 0), previous.Total + 1);
        }

        progress.Step("eval", samples.Count, samples.Count);
        var n = Math.Max(1, samples.Count);
        return new DatasetEvaluation
        {
            Samples = samples.Count,
            Accuracy = (double)correct / n,
            PerType = perType,
            MeanKl = klSum / n,
            PrefillFlops = flopsSum / n,
            UnprunedPrefillFlops = unprunedFlopsSum / n,
            PrefillMilliseconds = SampleStatistics.Median(prunedTimes),
            UnprunedPrefillMilliseconds = SampleStatistics.Median(unprunedTimes),
            UnprunedAccuracy = policy is null ? (double)correct / n : (double)unprunedCorrect / n,
        };
    }
}
