using System.Diagnostics;
using System.Globalization;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Issue 18's benchmark: a random-weight bf16 checkpoint at a real shape is written to a temp folder, then each
/// precision runs in its own process (so its peak RSS is its own): open time, RSS after open, vision tower time,
/// unpruned decoder prefill of a 600-token prompt (576 image tokens), peak RSS; the parent compares the last-position
/// logits of every pair of runs (max |Δ|, KL, same argmax). A run named <c>generated-fp32</c> or <c>generated-bf16</c> loads
/// and prefills through the generated-class runtime (<see cref="RealShapeDop"/>: <c>DopCompiledModel</c>, <c>DopSequence</c>)
/// instead of <c>LlavaModel.ReferencePrefill</c>. The folder is deleted at the end.
/// </summary>
public static class RealShapeBenchmark
{
    public static void Run(Options options)
    {
        var shapeName = options.String("shape") ?? "tinyllava";
        var shape = RealShapeCheckpoint.Shape(shapeName);
        var root = options.String("dir") ?? Path.Combine(Path.GetTempPath(), "dop-bench-real");
        var folder = Path.Combine(root, shapeName);
        var precisions = (options.String("precisions") ?? "fp32,bf16").Split(',');
        var keep = options.String("keep") == "1";
        try
        {
            long size;
            if (File.Exists(Path.Combine(folder, "model.safetensors")))
            {
                size = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;
                Console.WriteLine($"using the existing checkpoint in {folder}");
            }
            else
            {
                var start = Stopwatch.GetTimestamp();
                var zeros = options.String("zeros") == "1";
                size = RealShapeCheckpoint.Write(folder, shape, zeros);
                Console.WriteLine($"wrote {folder}: {size / 1e9:F2} GB bf16{(zeros ? " (zero weights, sparse file)" : "")} in {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s");
            }

            Console.WriteLine($"shape {shapeName}: {shape.Layers} layers x {shape.Hidden} (MLP {shape.Intermediate}, {shape.Heads} heads / {shape.KeyValueHeads} KV), "
                + $"CLIP {shape.VisionLayers} x {shape.VisionHidden} at {shape.ImageSize} px; checkpoint {size / 1e9:F2} GB; {get_num_threads()} threads");
            var rows = new List<(string Precision, Dictionary<string, string> Values)>();
            foreach (var precision in precisions)
            {
                var logitsPath = Path.Combine(folder, $"logits-{precision}.bin");
                var values = RunChild(folder, precision, logitsPath, options.String(precision + "-layers") ?? options.String("layers"), options.String("compare-layers"));
                rows.Add((precision, values));
            }

            Console.WriteLine();
            Console.WriteLine("| run | decoder layers run | open (s) | RSS after open (GB) | vision tower (s) | decoder prefill 600 tok (s) | prefill CPU (s, all threads) | peak RSS (GB) | peak − checkpoint (GB) | at end: anonymous / mapped file (GB) | resident converted (MB) of budget |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var (precision, v) in rows)
            {
                var peak = double.Parse(v["peak_rss"], CultureInfo.InvariantCulture);
                Console.WriteLine($"| {precision} | {v["layers"]} | {v["open_s"]} | {double.Parse(v["rss_open"], CultureInfo.InvariantCulture) / 1e9:F2} | {v["vision_s"]} | {v["prefill_s"]} | {v["prefill_cpu_s"]} | "
                    + $"{peak / 1e9:F2} | {(peak - size) / 1e9:F2} | {double.Parse(v["rss_anon_end"], CultureInfo.InvariantCulture) / 1e9:F2} / {double.Parse(v["rss_file_end"], CultureInfo.InvariantCulture) / 1e9:F2} | {long.Parse(v["resident"], CultureInfo.InvariantCulture) >> 20} of {long.Parse(v["budget"], CultureInfo.InvariantCulture) >> 20} |");
            }

            // Every pair whose logits come from the same number of layers (--compare-layers makes a full and a partial run comparable).
            for (var i = 0; i < rows.Count; i++)
            {
                for (var j = i + 1; j < rows.Count; j++)
                {
                    if (rows[i].Values["logits_layers"] == rows[j].Values["logits_layers"])
                    {
                        Compare(Path.Combine(folder, $"logits-{rows[i].Precision}.bin"), Path.Combine(folder, $"logits-{rows[j].Precision}.bin"), rows[i].Precision, rows[j].Precision, rows[i].Values["logits_layers"]);
                    }
                }
            }
        }
        finally
        {
            if (!keep && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>The child process: one precision, one prompt; prints <c>key=value</c> lines.</summary>
    public static void RunOne(Options options)
    {
        var folder = options.String("model") ?? throw new ArgumentException("--model");
        var precision = options.String("precision") == "bf16" ? ComputePrecision.Bf16 : ComputePrecision.Fp32;
        var generated = options.String("path") == "generated";
        var layers = options.Int("layers", 0);
        var compareLayers = options.Int("compare-layers", 0);
        var start = Stopwatch.GetTimestamp();
        // The generated-class runtime loads through its own constructor (precision forced as a spec's precision: would);
        // its Model is the LlavaModel it loaded, used here only for the image and the prompt's embeddings.
        using var dop = generated ? RealShapeDop.Load(folder, precision == ComputePrecision.Bf16 ? "bf16" : "fp32", layers) : null;
        using var own = generated ? null : LlavaModel.Load(folder, precision);
        var model = dop?.Model ?? own!;
        var open = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var rssOpen = Environment.WorkingSet;
        using var noGrad = no_grad();
        var generator = new Generator(0).manual_seed(1);
        var size = model.Config.Vision!.ImageSize;
        using var pixels = randn([3, size, size], generator: generator);
        start = Stopwatch.GetTimestamp();
        var (features, cls) = model.EncodeImage(pixels);
        var vision = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var text = new Random(3);
        var ids = Enumerable.Range(0, 5).Select(_ => text.Next(2, 32000)).Append(model.Config.ImageTokenIndex)
            .Concat(Enumerable.Range(0, 19).Select(_ => text.Next(2, 32000))).ToArray(); // 5 + 576 + 19 = 600 positions
        using var embeddings = model.EmbedPrompt(ids, features, out var segments);
        features.Dispose();
        cls.Dispose();
        var t = (int)embeddings.shape[0];
        start = Stopwatch.GetTimestamp();
        // CPU seconds beside wall seconds: on a shared machine the wall time is mostly the scheduler's share, the CPU time
        // (all threads) is what the code costs.
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        Tensor logits;
        if (dop is not null)
        {
            logits = dop.Prefill(embeddings, segments); // the unpruned policy unrolled (first --layers layers when given)
        }
        else if (layers > 0 && layers < model.Layers.Count)
        {
            // A few layers' worth (the 7B fp32 prefill is slow on 2 cores): the same code path, fewer layers.
            logits = PartialPrefill(model, embeddings, layers);
        }
        else
        {
            logits = model.ReferencePrefill(embeddings, [t - 1]);
        }

        var prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var prefillCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var layersRun = layers > 0 ? Math.Min(layers, model.Layers.Count) : model.Layers.Count;
        var logitsLayers = layersRun;
        if (compareLayers > 0 && compareLayers != layersRun)
        {
            // Untimed: the logits after --compare-layers layers, so a full run compares with a partial one of the other precision.
            logits.Dispose();
            logits = PartialPrefill(model, embeddings, compareLayers);
            logitsLayers = compareLayers;
        }

        using (logits)
        {
            File.WriteAllBytes(options.String("logits") ?? "logits.bin", logits.to_type(ScalarType.Float32).contiguous().bytes.ToArray());
        }

        var status = File.ReadAllLines("/proc/self/status");
        long Kb(string key) => long.Parse(status.First(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"open_s={open:F2}\nrss_open={rssOpen}\nvision_s={vision:F2}\nprefill_s={prefill:F2}\nprefill_cpu_s={prefillCpu:F2}\npeak_rss={Kb("VmHWM")}\nrss_anon_end={Kb("RssAnon")}\nrss_file_end={Kb("RssFile")}\nresident={model.Residency.ResidentBytes}\nbudget={model.Residency.BudgetBytes}\ntokens={t}\nlayers={layersRun}\nlogits_layers={logitsLayers}"));
    }

    private static Tensor PartialPrefill(LlavaModel model, Tensor embeddings, int layers)
    {
        using var scope = NewDisposeScope();
        var t = embeddings.shape[0];
        var (cos, sin) = model.Rotary.Tables(arange(t, ScalarType.Int64));
        var h = embeddings.clone();
        for (var l = 0; l < layers; l++)
        {
            using var layerScope = NewDisposeScope();
            h.PlusInPlace(DecoderBlocks.Attention(h, model.Layers[l], model.Config.Text, cos, sin, null, out _, out _));
            h.PlusInPlace(DecoderBlocks.Mlp(h, model.Layers[l], model.Config.Text, null));
        }

        return model.Logits(h.narrow(0, t - 1, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>One run in its own process; <paramref name="run"/> is <c>fp32</c>, <c>bf16</c>, <c>generated-fp32</c> or <c>generated-bf16</c>.</summary>
    private static Dictionary<string, string> RunChild(string folder, string run, string logitsPath, string? layers, string? compareLayers)
    {
        var self = typeof(RealShapeBenchmark).Assembly.Location;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        var generated = run.StartsWith("generated-", StringComparison.Ordinal);
        var precision = generated ? run["generated-".Length..] : run;
        foreach (var a in new[] { self, "real-shape-run", "--model", folder, "--precision", precision, "--path", generated ? "generated" : "llava", "--logits", logitsPath })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in new[] { ("--layers", layers), ("--compare-layers", compareLayers) })
        {
            if (value is not null)
            {
                info.ArgumentList.Add(key);
                info.ArgumentList.Add(value);
            }
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{run} run failed ({process.ExitCode}): {stdout}\n{stderr.Result}");
        }

        Console.WriteLine($"  {run}: {stdout.Replace('\n', ' ').Trim()}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    private static void Compare(string referencePath, string otherPath, string referenceName, string otherName, string layers)
    {
        using var a = FromFloats(File.ReadAllBytes(referencePath));
        using var b = FromFloats(File.ReadAllBytes(otherPath));
        using var logP = a.log_softmax(-1);
        using var logQ = b.log_softmax(-1);
        var kl = (logP.exp() * (logP - logQ)).sum().item<float>();
        var maxDiff = (a - b).abs().max().item<float>();
        var scale = a.abs().max().item<float>();
        var same = a.argmax().item<long>() == b.argmax().item<long>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"last-position logits after {layers} layers, {otherName} vs {referenceName}: max |Δ| {maxDiff:G3} (max |logit| {scale:G3}), KL({referenceName}‖{otherName}) {kl:G3} nats, same argmax: {same}"));
    }

    private static Tensor FromFloats(byte[] bytes)
    {
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return tensor(floats);
    }
}
