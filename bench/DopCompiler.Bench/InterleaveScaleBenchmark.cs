using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// llava-interleave-qwen-0.5b at its real dimensions with random weights (SigLIP-so400m: 27 layers, hidden 1152, MLP
/// 4304, 16 heads, 384 px / patch 14 → 729 image tokens; Qwen2-0.5B: 24 layers, hidden 896, 14 heads, 2 KV heads, MLP
/// 4864, vocab 151646, tied embeddings), written as BF16 shards by code (never committed): load time, peak RSS, unpruned
/// prefill of a ~760-token prompt, and the estimated time of a full search with the QuickStart's settings.
/// </summary>
public static class InterleaveScaleBenchmark
{
    private const int VisionHidden = 1152, VisionMlp = 4304, VisionLayers = 27, VisionHeads = 16, ImageSize = 384, Patch = 14;
    private const int Hidden = 896, Layers = 24, Heads = 14, KvHeads = 2, Mlp = 4864, Vocab = 151646;

    public static void Run(Options options)
    {
        var folder = options.String("folder") ?? Path.Combine(Path.GetTempPath(), "dop-interleave-qwen-0.5b-random");
        var rounds = options.Int("rounds", 3);
        var watch = Stopwatch.StartNew();
        if (!File.Exists(Path.Combine(folder, CheckpointTensors.IndexFileName)))
        {
            Write(folder);
            Console.WriteLine($"wrote {folder} in {watch.Elapsed.TotalSeconds:F1} s ({Directory.GetFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length) / 1e9:F2} GB BF16)");
        }

        Console.WriteLine($"peak RSS before load: {PeakRssMb():F0} MB");
        watch.Restart();
        using var model = LlavaModel.Load(folder);
        var load = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"load: {load:F2} s, peak RSS after load {PeakRssMb():F0} MB");

        using var noGrad = no_grad();
        var generator = new Generator(0).manual_seed(1);
        using var pixels = (rand([3, ImageSize, ImageSize], generator: generator) * 2) - 1;
        // 15 text tokens, the image (729 features), 16 text tokens: 760 positions.
        int[] prompt = [.. Enumerable.Range(100, 15), model.Config.ImageTokenIndex, .. Enumerable.Range(2000, 16)];
        var vision = new List<double>();
        var prefill = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            watch.Restart();
            var (features, cls) = model.EncodeImage(pixels);
            vision.Add(watch.Elapsed.TotalSeconds);
            using (features)
            using (cls)
            using (var embeddings = model.EmbedPrompt(prompt, features, out var segments))
            {
                watch.Restart();
                using var logits = model.ReferencePrefill(embeddings, [segments.Length - 1]);
                prefill.Add(watch.Elapsed.TotalSeconds);
                if (r == 0)
                {
                    Console.WriteLine($"prompt: {segments.Length} positions ({segments.ImageLength} image tokens)");
                }
            }
        }

        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        Console.WriteLine($"vision tower + projector per image: median {Median(vision):F2} s ({string.Join(", ", vision.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))})");
        Console.WriteLine($"unpruned decoder prefill: median {Median(prefill):F2} s ({string.Join(", ", prefill.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))})");
        Console.WriteLine($"peak RSS after prefill: {PeakRssMb():F0} MB");

        // QuickStart settings: 64 samples, teacher-forced max_positions 4, curves for attention and MLP of 2 prunable
        // groups (4 curves), n_v grid of 4 counts. Validation runs = 1 reference + 4 curves × 24 depths + 4 n_v + 1
        // measurement; prefix reuse cuts layer evaluations to 0.60 of that (docs/benchmarks.md, Table 4).
        const int samples = 64, curves = 4, nv = 4;
        var runs = 1 + (curves * Layers) + nv + 1;
        var estimate = (runs * samples * Median(prefill) * 0.60) + (samples * Median(vision));
        Console.WriteLine($"estimated full search (QuickStart settings): {runs} validation runs × {samples} samples × {Median(prefill):F2} s × 0.60 + {samples} images × {Median(vision):F2} s = {estimate / 3600:F1} h");
    }

    private static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>config.json, preprocessor_config.json and BF16 shards of about 0.5 GB each (never all weights in memory at once).</summary>
    private static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": {{Vocab}},
              "projector_hidden_act": "gelu", "vision_feature_layer": -1, "vision_feature_select_strategy": "full", "tie_word_embeddings": true,
              "text_config": {"model_type": "qwen2", "hidden_size": {{Hidden}}, "intermediate_size": {{Mlp}}, "num_hidden_layers": {{Layers}},
                "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}}, "vocab_size": {{Vocab}}, "rms_norm_eps": 1e-6,
                "rope_theta": 1000000.0, "hidden_act": "silu", "use_sliding_window": false, "tie_word_embeddings": true},
              "vision_config": {"model_type": "siglip_vision_model", "hidden_size": {{VisionHidden}}, "intermediate_size": {{VisionMlp}},
                "num_hidden_layers": {{VisionLayers}}, "num_attention_heads": {{VisionHeads}}, "image_size": {{ImageSize}}, "patch_size": {{Patch}},
                "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6}
            }
            """));
        var specs = new List<(string Name, long[] Shape, char Kind)>(); // w: weight, b: bias, n: norm scale, e: embedding
        void Add(string name, char kind, params long[] shape) => specs.Add((name, shape, kind));
        const string lm = "model.language_model.", vt = "model.vision_tower.vision_model.", mp = "model.multi_modal_projector.";
        Add(lm + "embed_tokens.weight", 'e', Vocab, Hidden);
        Add(lm + "norm.weight", 'n', Hidden);
        for (var i = 0; i < Layers; i++)
        {
            var p = $"{lm}layers.{i}.";
            Add(p + "input_layernorm.weight", 'n', Hidden);
            Add(p + "post_attention_layernorm.weight", 'n', Hidden);
            Add(p + "self_attn.q_proj.weight", 'w', Hidden, Hidden);
            Add(p + "self_attn.q_proj.bias", 'b', Hidden);
            Add(p + "self_attn.k_proj.weight", 'w', KvHeads * 64, Hidden);
            Add(p + "self_attn.k_proj.bias", 'b', KvHeads * 64);
            Add(p + "self_attn.v_proj.weight", 'w', KvHeads * 64, Hidden);
            Add(p + "self_attn.v_proj.bias", 'b', KvHeads * 64);
            Add(p + "self_attn.o_proj.weight", 'w', Hidden, Hidden);
            Add(p + "mlp.gate_proj.weight", 'w', Mlp, Hidden);
            Add(p + "mlp.up_proj.weight", 'w', Mlp, Hidden);
            Add(p + "mlp.down_proj.weight", 'w', Hidden, Mlp);
        }

        var patches = (ImageSize / Patch) * (ImageSize / Patch);
        Add(vt + "embeddings.patch_embedding.weight", 'w', VisionHidden, 3, Patch, Patch);
        Add(vt + "embeddings.patch_embedding.bias", 'b', VisionHidden);
        Add(vt + "embeddings.position_embedding.weight", 'e', patches, VisionHidden);
        Add(vt + "post_layernorm.weight", 'n', VisionHidden);
        Add(vt + "post_layernorm.bias", 'b', VisionHidden);
        for (var i = 0; i < VisionLayers; i++)
        {
            var p = $"{vt}encoder.layers.{i}.";
            foreach (var n in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Add(p + $"self_attn.{n}.weight", 'w', VisionHidden, VisionHidden);
                Add(p + $"self_attn.{n}.bias", 'b', VisionHidden);
            }

            Add(p + "layer_norm1.weight", 'n', VisionHidden);
            Add(p + "layer_norm1.bias", 'b', VisionHidden);
            Add(p + "layer_norm2.weight", 'n', VisionHidden);
            Add(p + "layer_norm2.bias", 'b', VisionHidden);
            Add(p + "mlp.fc1.weight", 'w', VisionMlp, VisionHidden);
            Add(p + "mlp.fc1.bias", 'b', VisionMlp);
            Add(p + "mlp.fc2.weight", 'w', VisionHidden, VisionMlp);
            Add(p + "mlp.fc2.bias", 'b', VisionHidden);
        }

        Add(mp + "linear_1.weight", 'w', Hidden, VisionHidden);
        Add(mp + "linear_1.bias", 'b', Hidden);
        Add(mp + "linear_2.weight", 'w', Hidden, Hidden);
        Add(mp + "linear_2.bias", 'b', Hidden);

        var shards = new List<List<(string Name, long[] Shape, char Kind)>> { new() };
        long inShard = 0;
        foreach (var spec in specs)
        {
            var elements = spec.Shape.Aggregate(1L, (a, b) => a * b);
            if (inShard > 0 && inShard + elements > 250_000_000)
            {
                shards.Add([]);
                inShard = 0;
            }

            shards[^1].Add(spec);
            inShard += elements;
        }

        var generator = new Generator(0).manual_seed(42);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var s = 0; s < shards.Count; s++)
        {
            var file = $"model-{s + 1:00000}-of-{shards.Count:00000}.safetensors";
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, shape, kind) in shards[s])
            {
                var fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
                tensors[name] = kind switch
                {
                    'n' => ones(shape),
                    'b' => randn(shape, generator: generator) * 0.02,
                    'e' => randn(shape, generator: generator) * 0.02,
                    _ => randn(shape, generator: generator) * (1 / Math.Sqrt(fanIn)),
                };
                map[name] = file;
            }

            SafetensorsWriter.Write(Path.Combine(folder, file), tensors, SafetensorsDType.BF16);
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }

        File.WriteAllText(Path.Combine(folder, CheckpointTensors.IndexFileName), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
    }
}
