using System.Globalization;
using DopCompiler.Model.Native;

namespace DopCompiler.Bench;

/// <summary>Dispatches <c>prefill</c>, <c>search-cost</c>, <c>time-model</c>, <c>baselines</c>, <c>interleave-scale</c>, <c>onevision-scale</c> and <c>anyres-tokens</c>.</summary>
public static class BenchmarkCommands
{
    public static int Run(string[] args)
    {
        TorchNativeLoader.EnsureLoaded();
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var command = args.FirstOrDefault() ?? "help";
        var options = Options.Parse(args.Skip(1).ToArray());
        switch (command)
        {
            case "prefill":
                PrefillBenchmark.Run(options);
                return 0;
            case "search-cost":
                SearchCostBenchmark.Run(options);
                return 0;
            case "time-model":
                TimeModelBenchmark.Run(options);
                return 0;
            case "real-shape":
                RealShapeBenchmark.Run(options);
                return 0;
            case "precision":
                PrecisionBenchmark.Run(options);
                return 0;
            case "real-shape-run":
                RealShapeBenchmark.RunOne(options);
                return 0;
            case "baselines":
                BaselinesBenchmark.Run(options);
                return 0;
            case "interleave-scale":
                SiglipQwenScaleBenchmark.Run(options, "interleave");
                return 0;
            case "onevision-scale":
                SiglipQwenScaleBenchmark.Run(options, "onevision");
                return 0;
            case "anyres-tokens":
                AnyresTokensBenchmark.Run(options);
                return 0;
            default:
                Console.WriteLine("""
                    usage: dotnet run -c Release --project bench/DopCompiler.Bench -- <benchmark> [--key value ...]
                      prefill      unpruned vs pruned (interpreter) vs ideal prefill on a realistic random fixture
                                   --layers 8 --hidden 512 --tokens 600 --image 576 --rounds 15
                      search-cost  layer evaluations and wall time of the search with and without prefix reuse
                                   --spec <dop.yaml> (default: a random fixture)
                      time-model   the fitted time model's predicted prefill time vs measured, 10 random policies
                                   --spec <dop.yaml> (default: a random fixture) --policies 10
                      real-shape   random-weight bf16 checkpoint at a real shape in a temp folder (deleted after): open time,
                                   peak RSS, vision + 600-token prefill per precision (one process each), bf16 vs fp32 logits
                                   --shape tinyllava|llava7b --precisions fp32,bf16[,generated-fp32,generated-bf16] (generated-*: through the
                                   generated-class runtime) --layers N (first N decoder layers only; --fp32-layers N for one run)
                                   --compare-layers N (logits after N layers, untimed, so full and partial runs compare)
                                   --dir /tmp/dop-bench-real --keep 1 --zeros 1 (zero weights, sparse file: fast to write)
                      precision    bf16 vs fp32 on a model: probe, accuracy, KL(fp32||bf16) noise floor vs the smallest curve
                                   points, prefill time  --model samples/ShapesVlm/model --data .../test.jsonl --limit 100
                      baselines    DOP vs FastV / uniform [CLS] / random token dropping at equal FLOPs: accuracy, time,
                                   additive approximation, search cost (Markdown tables) and an SVG plot
                                   --spec <dop.yaml> (default: a random fixture) --test <file.jsonl> --limit 200
                                   --fractions 0.5,0.3,0.2,0.14 --rounds 7 --timing-samples 8 --random-policies 20
                                   --fastv-k 2 --max-new-tokens 8 --threads N --no-reuse-run 1
                                   --validation-limit N (first N validation samples) --svg baselines-accuracy.svg
                      interleave-scale  random-weight llava-interleave-qwen-0.5b at real size (one BF16 file written to
                                   /tmp once): load time, peak RSS, vision and 760-token prefill per precision (fp32, and bf16
                                   where the probe picks it), search-time estimate with the QuickStart's settings
                                   --folder <dir> --rounds 1 --precisions fp32,bf16 --spec samples/QuickStart/dop.yaml
                      onevision-scale  the same for llava-onevision-qwen2-0.5b-ov (anyres_max_9): image-token table per
                                   photo size, then one photo's tiles through the model  --image 768x1024 (height x width)
                      anyres-tokens  LLaVA-v1.6-7B image-token counts per photo size and the managed anyres
                                   preprocessing time (no weights)  --rounds 3
                    """);
                return command == "help" ? 0 : 2;
        }
    }
}

/// <summary><c>--key value</c> pairs.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values;

    private Options(Dictionary<string, string> values) => _values = values;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new Options(values);
    }

    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public string? String(string key) => _values.GetValueOrDefault(key);
}
