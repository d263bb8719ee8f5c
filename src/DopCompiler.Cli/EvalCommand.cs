using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DopCompiler.Model;
using DopCompiler.Model.Configuration;
using DopCompiler.Policy;
using DopCompiler.Search.Document;
using DopCompiler.Search.Evaluation;

namespace DopCompiler.Cli;

/// <summary><c>dop eval</c>: accuracy (overall and per type), KL, FLOPs and latency of a policy on a JSONL set.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + safetensors + tokenizer).", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL set: {\"image\", \"prompt\", \"answer\", \"type\"} per line.", Required = true };
        var policy = new Option<string?>("--policy") { Description = "Policy file; without it the unpruned model is evaluated." };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N samples." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Greedy decoding length limit.", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print JSON (top-level 'accuracy') on stdout." };
        var variant = new Option<string?>("--variant") { Description = "For a policy of several budgets: the variant (budget name) to evaluate; default the first." };
        var precision = PrecisionOption.Create("auto");
        var command = new Command("eval", "Evaluate a policy (or the unpruned model) on a JSONL set.") { model, data, policy, limit, maxNew, json, precision, variant };
        command.SetAction(result => CommandGuard.Run(cancellation =>
        {
            var policyPath = result.GetValue(policy);
            var modelFolder = result.GetValue(model)!;
            var document = policyPath is null ? null : PolicyFileReader.ReadFor(policyPath, modelFolder, ModelConfigReader.Read(modelFolder));
            if (result.GetValue(variant) is { } name)
            {
                document = document?.VariantDocument(name) ?? throw new DopException(DiagnosticCodes.Usage, document is null
                    ? "--variant needs --policy"
                    : $"--variant '{name}' is not a variant of {policyPath} ({(document.Variants is { } variants ? string.Join(", ", variants.Select(v => v.Name)) : "a policy of one budget has none")})");
            }

            var compute = PrecisionOption.Resolve(result.GetValue(precision)!);
            var report = DatasetEvaluator.Run(modelFolder, result.GetValue(data)!, document, result.GetValue(limit), result.GetValue(maxNew),
                new ConsoleProgress(Console.Error), cancellation, compute);
            Console.Out.WriteLine(result.GetValue(json) ? ToJson(report) : ToText(report, document is not null));
            return ExitCodes.Success;
        }, DopCommandLine.ProcessCancellation()));
        return command;
    }

    private static string ToText(DatasetEvaluation r, bool pruned)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"samples            {r.Samples}"),
            string.Create(c, $"accuracy           {r.Accuracy * 100:0.0}%") + (pruned ? string.Create(c, $"   (unpruned {r.UnprunedAccuracy * 100:0.0}%)") : ""),
        };
        lines.AddRange(r.PerType.Select(t => string.Create(c, $"  {t.Key,-16} {t.Value.Accuracy * 100:0.0}%  ({t.Value.Correct}/{t.Value.Total})")));
        lines.Add(string.Create(c, $"mean KL            {r.MeanKl:0.######}"));
        lines.Add(string.Create(c, $"prefill FLOPs      {r.PrefillFlops / 1e9:0.###} GFLOPs ({r.PrefillFlops / r.UnprunedPrefillFlops:0.###} of unpruned {r.UnprunedPrefillFlops / 1e9:0.###})"));
        lines.Add(string.Create(c, $"prefill latency    {r.PrefillMilliseconds:0.##} ms ({r.PrefillMilliseconds / r.UnprunedPrefillMilliseconds:0.###} of unpruned {r.UnprunedPrefillMilliseconds:0.##} ms, medians)"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string ToJson(DatasetEvaluation r) => JsonSerializer.Serialize(new
    {
        samples = r.Samples,
        accuracy = r.Accuracy,
        unpruned_accuracy = r.UnprunedAccuracy,
        per_type = r.PerType.ToDictionary(t => t.Key, t => new { accuracy = t.Value.Accuracy, correct = t.Value.Correct, total = t.Value.Total }),
        mean_kl = r.MeanKl,
        prefill_flops = r.PrefillFlops,
        unpruned_prefill_flops = r.UnprunedPrefillFlops,
        flops_fraction = r.PrefillFlops / r.UnprunedPrefillFlops,
        prefill_ms = r.PrefillMilliseconds,
        unpruned_prefill_ms = r.UnprunedPrefillMilliseconds,
    });
}
