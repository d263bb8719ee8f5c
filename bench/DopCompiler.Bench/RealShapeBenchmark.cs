using System.Diagnostics;
using System.Globalization;
using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Issue 18's benchmark: a random-weight bf16 checkpoint at a real shape is written to a temp folder, then each
/// precision runs in its own process (so its peak RSS is its own): open time, RSS after open, vision tower time,
/// unpruned decoder prefill of a 600-token prompt (576 image tokens), peak RSS; the parent compares the last-position
/// logits of bf16 against fp32 (max |Δ|, KL, same argmax). The folder is deleted at the end.
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
                var values = RunChild(folder, precision, logitsPath, options.String(precision + "-layers") ?? options.String("layers"));
                rows.Add((precision, values));
            }

            Console.WriteLine();
            Console.WriteLine("| precision | decoder layers run | open (s) | RSS after open (GB) | vision tower (s) | decoder prefill 600 tok (s) | peak RSS (GB) | peak − checkpoint (GB) | resident converted (MB) |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var (precision, v) in rows)
            {
                var peak = double.Parse(v["peak_rss"], CultureInfo.InvariantCulture);
                Console.WriteLine($"| {precision} | {v["layers"]} | {v["open_s"]} | {double.Parse(v["rss_open"], CultureInfo.InvariantCulture) / 1e9:F2} | {v["vision_s"]} | {v["prefill_s"]} | "
                    + $"{peak / 1e9:F2} | {(peak - size) / 1e9:F2} | {long.Parse(v["resident"], CultureInfo.InvariantCulture) >> 20} |");
            }

            if (rows.Count == 2 && rows[0].Values["layers"] == rows[1].Values["layers"])
            {
                Compare(Path.Combine(folder, $"logits-{rows[0].Precision}.bin"), Path.Combine(folder, $"logits-{rows[1].Precision}.bin"), rows[0].Precision, rows[1].Precision);
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
        var layers = options.Int("layers", 0);
        var start = Stopwatch.GetTimestamp();
        using var model = LlavaModel.Load(folder, precision);
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
        using var embeddings = model.EmbedPrompt(ids, features, out _);
        features.Dispose();
        cls.Dispose();
        var t = (int)embeddings.shape[0];
        start = Stopwatch.GetTimestamp();
        Tensor logits;
        if (layers > 0 && layers < model.Layers.Count)
        {
            // A few layers' worth (the 7B fp32 prefill is slow on 2 cores): the same code path, fewer layers.
            logits = PartialPrefill(model, embeddings, layers);
        }
        else
        {
            logits = model.ReferencePrefill(embeddings, [t - 1]);
        }

        var prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;
        using (logits)
        {
            File.WriteAllBytes(options.String("logits") ?? "logits.bin", logits.to_type(ScalarType.Float32).contiguous().bytes.ToArray());
        }

        var status = File.ReadAllLines("/proc/self/status");
        long Kb(string key) => long.Parse(status.First(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"open_s={open:F2}\nrss_open={rssOpen}\nvision_s={vision:F2}\nprefill_s={prefill:F2}\npeak_rss={Kb("VmHWM")}\nresident={model.Residency.ResidentBytes}\ntokens={t}\nlayers={(layers > 0 ? layers : model.Layers.Count)}"));
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

    private static Dictionary<string, string> RunChild(string folder, string precision, string logitsPath, string? layers)
    {
        var self = typeof(RealShapeBenchmark).Assembly.Location;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { self, "real-shape-run", "--model", folder, "--precision", precision, "--logits", logitsPath })
        {
            info.ArgumentList.Add(a);
        }

        if (layers is not null)
        {
            info.ArgumentList.Add("--layers");
            info.ArgumentList.Add(layers);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{precision} run failed ({process.ExitCode}): {stdout}\n{stderr.Result}");
        }

        Console.WriteLine($"  {precision}: {stdout.Replace('\n', ' ').Trim()}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    private static void Compare(string referencePath, string otherPath, string referenceName, string otherName)
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
            $"last-position logits, {otherName} vs {referenceName}: max |Δ| {maxDiff:G3} (max |logit| {scale:G3}), KL({referenceName}‖{otherName}) {kl:G3} nats, same argmax: {same}"));
    }

    private static Tensor FromFloats(byte[] bytes)
    {
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return tensor(floats);
    }
}
