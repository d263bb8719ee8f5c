using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Issue 2's benchmark: (a) unpruned prefill, (b) the interpreter's pruned prefill for a policy that removes image
/// tokens from the second half of the layers, (c) the ideal: the same layers as plain forwards over only the tokens
/// each keeps, with the shorter input handed over for free. Goal: (b) ≤ 1.1 × (c).
/// </summary>
public static class PrefillBenchmark
{
    public static void Run(Options options)
    {
        var layers = options.Int("layers", 8);
        var hidden = options.Int("hidden", 512);
        var tokens = options.Int("tokens", 600);
        var image = options.Int("image", 576);
        var rounds = options.Int("rounds", 15);
        var heads = hidden / 32;
        var folder = Path.Combine(Path.GetTempPath(), "dop-bench-prefill", Guid.NewGuid().ToString("N"));
        TinyLlavaCheckpoint.Write(folder, new TinyLlavaOptions
        {
            Layers = layers, Hidden = hidden, Heads = heads, KeyValueHeads = Math.Max(1, heads / 4), Intermediate = hidden * 11 / 4, Vocab = 128,
        });
        try
        {
            using var model = LlavaModel.Load(folder);
            using var noGrad = no_grad();
            var system = 5;
            var segments = new PromptSegments(system, image, tokens - system - image);
            var layout = TokenGroupLayout.ForLlava(segments);
            var names = layout.Groups.Select(g => g.Name).ToArray();
            var half = layers / 2;
            var policy = new DepthPolicy(new Dictionary<string, int> { ["image"] = layers - half }, new Dictionary<string, int> { ["image"] = layers - half });
            var mask = policy.ToMask(names, layers);
            using var embeddings = randn(tokens, hidden);
            using var plan = ExecutionPlan.Build(mask, layout, [tokens - 1], model.Rotary);

            var kept = Enumerable.Range(0, system).Concat(Enumerable.Range(system + image, segments.TextLength)).ToArray();
            using var shortInput = embeddings.index_select(0, tensor(kept.Select(p => (long)p).ToArray()));
            var (fullCos, fullSin) = model.Rotary.Tables(arange(tokens, ScalarType.Int64));
            var (shortCos, shortSin) = model.Rotary.Tables(tensor(kept.Select(p => (long)p).ToArray()));
            var text = model.Config.Text;

            void Unpruned()
            {
                using var logits = model.ReferencePrefill(embeddings, [tokens - 1]);
            }

            void Pruned()
            {
                using var logits = PrunedForward.Prefill(model, embeddings, plan);
            }

            void Ideal()
            {
                using var scope = NewDisposeScope();
                var h = embeddings.clone();
                for (var l = 0; l < half; l++)
                {
                    h.add_(DecoderBlocks.Attention(h, model.Layers[l], text, fullCos, fullSin, null, out _, out _));
                    h.add_(DecoderBlocks.Mlp(h, model.Layers[l], text, null));
                }

                var s = shortInput.clone();
                for (var l = half; l < layers; l++)
                {
                    s.add_(DecoderBlocks.Attention(s, model.Layers[l], text, shortCos, shortSin, null, out _, out _));
                    s.add_(DecoderBlocks.Mlp(s, model.Layers[l], text, null));
                }

                model.Logits(s.narrow(0, s.shape[0] - 1, 1));
            }

            var medians = Timing.InterleavedMedians(rounds, warmup: 3, Unpruned, Pruned, Ideal);
            var flops = new FlopsModel(text, FlopsConvention.Gqa);
            var flopsFraction = flops.Prefill(mask, layout).Total / flops.Prefill(OperationMask.KeepAll(names, layers), layout).Total;
            Console.WriteLine($"prefill benchmark: {layers} layers, hidden {hidden}, {heads} heads ({text.NumKeyValueHeads} KV), MLP {text.IntermediateSize}, {tokens} tokens ({image} image), fp32, {get_num_threads()} threads, {rounds} rounds interleaved, medians");
            Console.WriteLine($"policy: image tokens pruned (attention and MLP) in layers {half}..{layers - 1}");
            Console.WriteLine($"  (a) unpruned prefill      {medians[0],9:0.00} ms");
            Console.WriteLine($"  (b) pruned (interpreter)  {medians[1],9:0.00} ms");
            Console.WriteLine($"  (c) ideal (plain, shorter){medians[2],9:0.00} ms");
            Console.WriteLine($"FLOPs fraction {flopsFraction:0.000}; time fraction (b)/(a) {medians[1] / medians[0]:0.000}, (c)/(a) {medians[2] / medians[0]:0.000}");
            Console.WriteLine($"machinery overhead (b)/(c) = {medians[1] / medians[2]:0.000} (goal <= 1.10)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
