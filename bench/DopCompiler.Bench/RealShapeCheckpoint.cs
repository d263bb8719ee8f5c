using DopCompiler.Model.Checkpoints;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Random-weight LLaVA-1.5 checkpoints at real shapes, written tensor by tensor in bf16 (never the whole model in
/// memory): TinyLLaVA-1.1B (CLIP ViT-L/336 + 22-layer 2048-wide LLaMA, GQA 32/4) and LLaVA-1.5-7B (32 × 4096, MHA).
/// </summary>
public static class RealShapeCheckpoint
{
    public static TinyLlavaOptions Shape(string name) => name switch
    {
        "tinyllava" => Clip336 with { Layers = 22, Hidden = 2048, Heads = 32, KeyValueHeads = 4, Intermediate = 5632, Vocab = 32064 },
        "llava7b" => Clip336 with { Layers = 32, Hidden = 4096, Heads = 32, KeyValueHeads = 32, Intermediate = 11008, Vocab = 32064 },
        _ => throw new ArgumentException($"unknown shape '{name}' (tinyllava, llava7b)"),
    };

    /// <summary>
    /// Writes config.json, preprocessor_config.json and one bf16 model.safetensors into <paramref name="folder"/>; returns
    /// the file's size. <paramref name="zeroWeights"/>: every weight zero, written as a sparse file in seconds (open time, memory
    /// and speed are the same as for random weights; the logits are not meaningful).
    /// </summary>
    public static long Write(string folder, TinyLlavaOptions o, bool zeroWeights = false)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyLlavaCheckpoint.ConfigJson(o));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), TinyLlavaCheckpoint.PreprocessorJson(o));
        var generator = new Generator(0).manual_seed(o.Seed);
        var raw = Shapes(o).Select(t => new RawTensor(t.Name, SafetensorsDType.BF16, t.Shape, t.Shape.Aggregate(2L, (a, b) => a * b), stream =>
        {
            if (zeroWeights)
            {
                stream.Seek(t.Shape.Aggregate(2L, (a, b) => a * b) - 1, SeekOrigin.Current); // a hole the file system reads as zeros
                stream.WriteByte(0);
                return;
            }

            using var noGrad = no_grad();
            // Matrices scaled by 1/sqrt(fan-in) keep activations at unit size through 32 layers; vectors near 1 (norms) or 0.
            using var values = t.Shape.Length == 1
                ? (t.Name.EndsWith("norm.weight", StringComparison.Ordinal) || t.Name.EndsWith("norm1.weight", StringComparison.Ordinal) || t.Name.EndsWith("norm2.weight", StringComparison.Ordinal)
                    ? ones(t.Shape, ScalarType.BFloat16) : zeros(t.Shape, ScalarType.BFloat16))
                : randn(t.Shape, generator: generator).mul_(1.0 / Math.Sqrt(t.Shape[1..].Aggregate(1L, (a, b) => a * b))).to_type(ScalarType.BFloat16);
            stream.Write(values.bytes);
        })).ToList();
        var path = Path.Combine(folder, "model.safetensors");
        SafetensorsWriter.WriteRaw(path, raw);
        return new FileInfo(path).Length;
    }

    private static readonly TinyLlavaOptions Clip336 = new()
    {
        VisionLayers = 24, VisionHidden = 1024, VisionHeads = 16, ImageSize = 336, PatchSize = 14,
    };

    private static IEnumerable<(string Name, long[] Shape)> Shapes(TinyLlavaOptions o)
    {
        const string lm = "language_model.model.", vt = "vision_tower.vision_model.", proj = "multi_modal_projector.";
        long d = o.Hidden, f = o.Intermediate, kv = (long)o.KeyValueHeads * (o.Hidden / o.Heads), dv = o.VisionHidden;
        yield return (lm + "embed_tokens.weight", [o.Vocab, d]);
        yield return (lm + "norm.weight", [d]);
        yield return ("language_model.lm_head.weight", [o.Vocab, d]);
        for (var i = 0; i < o.Layers; i++)
        {
            var p = $"{lm}layers.{i}.";
            yield return (p + "input_layernorm.weight", [d]);
            yield return (p + "post_attention_layernorm.weight", [d]);
            yield return (p + "self_attn.q_proj.weight", [d, d]);
            yield return (p + "self_attn.k_proj.weight", [kv, d]);
            yield return (p + "self_attn.v_proj.weight", [kv, d]);
            yield return (p + "self_attn.o_proj.weight", [d, d]);
            yield return (p + "mlp.gate_proj.weight", [f, d]);
            yield return (p + "mlp.up_proj.weight", [f, d]);
            yield return (p + "mlp.down_proj.weight", [d, f]);
        }

        var patches = (long)(o.ImageSize / o.PatchSize) * (o.ImageSize / o.PatchSize);
        yield return (vt + "embeddings.class_embedding", [dv]);
        yield return (vt + "embeddings.patch_embedding.weight", [dv, 3, o.PatchSize, o.PatchSize]);
        yield return (vt + "embeddings.position_embedding.weight", [patches + 1, dv]);
        yield return (vt + "pre_layrnorm.weight", [dv]);
        yield return (vt + "pre_layrnorm.bias", [dv]);
        yield return (vt + "post_layernorm.weight", [dv]);
        yield return (vt + "post_layernorm.bias", [dv]);
        for (var i = 0; i < o.VisionLayers; i++)
        {
            var p = $"{vt}encoder.layers.{i}.";
            foreach (var n in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                yield return (p + $"self_attn.{n}.weight", [dv, dv]);
                yield return (p + $"self_attn.{n}.bias", [dv]);
            }

            yield return (p + "layer_norm1.weight", [dv]);
            yield return (p + "layer_norm1.bias", [dv]);
            yield return (p + "layer_norm2.weight", [dv]);
            yield return (p + "layer_norm2.bias", [dv]);
            yield return (p + "mlp.fc1.weight", [4 * dv, dv]);
            yield return (p + "mlp.fc1.bias", [4 * dv]);
            yield return (p + "mlp.fc2.weight", [dv, 4 * dv]);
            yield return (p + "mlp.fc2.bias", [dv]);
        }

        yield return (proj + "linear_1.weight", [d, dv]);
        yield return (proj + "linear_1.bias", [d]);
        yield return (proj + "linear_2.weight", [d, d]);
        yield return (proj + "linear_2.bias", [d]);
    }
}
