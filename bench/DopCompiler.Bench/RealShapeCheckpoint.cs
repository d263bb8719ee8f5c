using DopCompiler.Model.Checkpoints;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// Random-weight LLaVA checkpoints at real shapes, written tensor by tensor in bf16 (never the whole model in memory):
/// TinyLLaVA-1.1B (CLIP ViT-L/336 + 22-layer 2048-wide LLaMA, GQA 32/4), LLaVA-1.5-7B (32 × 4096, MHA), and the two
/// SigLIP-so400m + Qwen2-0.5B models llava-interleave-qwen-0.5b and llava-onevision-qwen2-0.5b-ov (anyres).
/// </summary>
public static class RealShapeCheckpoint
{
    public static TinyLlavaOptions Shape(string name) => name switch
    {
        "tinyllava" => Clip336 with { Layers = 22, Hidden = 2048, Heads = 32, KeyValueHeads = 4, Intermediate = 5632, Vocab = 32064 },
        "llava7b" => Clip336 with { Layers = 32, Hidden = 4096, Heads = 32, KeyValueHeads = 32, Intermediate = 11008, Vocab = 32064 },
        // llava-hf/llava-interleave-qwen-0.5b-hf: the whole 27-layer tower, vocabulary 151646 with <image> at 151646.
        "interleave" => SiglipQwen05 with { VisionLayers = 27, Vocab = 151646, ImageTokenId = 151646, Naming = "new" },
        // llava-hf/llava-onevision-qwen2-0.5b-ov-hf as transformers' convert_llava_onevision_weights_to_hf.py writes it
        // (huggingface/transformers, src/transformers/models/llava_onevision/): SiglipVisionConfig(num_hidden_layers=26,
        // "drop the last layer", vision_use_head=False); LlavaOnevisionConfig's defaults (image_token_index 151646,
        // vision_feature_layer -1, "full", vision_aspect_ratio "anyres_max_9", the 36 pinpoints 384·(1..6) ×
        // 384·(1..6), height-major); Qwen/Qwen2-0.5B-Instruct's text config with the vocabulary resized to 151936 + 2
        // padded to a multiple of 64 = 152000 (resize_token_embeddings(num_tokens, pad_to_multiple_of=64)), tied; the
        // old tensor naming of its 2024 conversion (language_model.model., vision_tower., image_newline).
        "onevision" => SiglipQwen05 with
        {
            VisionLayers = 26, Vocab = 152000, ImageTokenId = 151646, VisionAspectRatio = "anyres_max_9",
            GridPinpoints = [.. from h in Enumerable.Range(1, 6) from w in Enumerable.Range(1, 6) select (384 * h, 384 * w)],
        },
        _ => throw new ArgumentException($"unknown shape '{name}' (tinyllava, llava7b, interleave, onevision)"),
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
            // The scope frees the fp32 randn temporary too: left to the GC it piled up to 13 GB of native memory while a
            // 7B checkpoint was written (the GC does not see libtorch's allocations).
            using var scope = NewDisposeScope();
            // Matrices scaled by 1/sqrt(fan-in) keep activations at unit size through 32 layers; vectors near 1 (norms) or 0.
            var values = t.Shape.Length == 1
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

    /// <summary>SigLIP-so400m/14 at 384 px (last hidden state, all 729 patches) + Qwen2-0.5B (24 × 896, GQA 14/2, MLP 4864, tied).</summary>
    private static readonly TinyLlavaOptions SiglipQwen05 = new()
    {
        VisionType = "siglip", VisionHidden = 1152, VisionIntermediate = 4304, VisionHeads = 16, ImageSize = 384, PatchSize = 14,
        VisionFeatureLayer = -1, FeatureStrategy = "full",
        TextType = "qwen2", Layers = 24, Hidden = 896, Heads = 14, KeyValueHeads = 2, Intermediate = 4864, TieWordEmbeddings = true, RopeTheta = 1_000_000,
    };

    /// <summary>
    /// Every tensor of the checkpoint <paramref name="o"/> describes, in TinyLlavaCheckpoint's layout: CLIP or SigLIP tower
    /// (SigLIP: patch bias, one position per patch, no class token or pre-layernorm), LLaMA or Qwen2 decoder (Qwen2: q/k/v
    /// biases), an LM head unless tied, <c>image_newline</c> on the anyres layouts, in either tensor naming.
    /// </summary>
    private static IEnumerable<(string Name, long[] Shape)> Shapes(TinyLlavaOptions o)
    {
        var (lm, lmHead, vt, proj, newline) = o.Naming == "new"
            ? ("model.language_model.", "lm_head.weight", "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.image_newline")
            : ("language_model.model.", "language_model.lm_head.weight", "vision_tower.vision_model.", "multi_modal_projector.", "image_newline");
        long d = o.Hidden, f = o.Intermediate, kv = (long)o.KeyValueHeads * (o.Hidden / o.Heads), dv = o.VisionHidden, fv = o.VisionMlpWidth;
        yield return (lm + "embed_tokens.weight", [o.Vocab, d]);
        yield return (lm + "norm.weight", [d]);
        if (!o.TieWordEmbeddings)
        {
            yield return (lmHead, [o.Vocab, d]);
        }

        for (var i = 0; i < o.Layers; i++)
        {
            var p = $"{lm}layers.{i}.";
            yield return (p + "input_layernorm.weight", [d]);
            yield return (p + "post_attention_layernorm.weight", [d]);
            yield return (p + "self_attn.q_proj.weight", [d, d]);
            yield return (p + "self_attn.k_proj.weight", [kv, d]);
            yield return (p + "self_attn.v_proj.weight", [kv, d]);
            yield return (p + "self_attn.o_proj.weight", [d, d]);
            if (o.Qwen)
            {
                yield return (p + "self_attn.q_proj.bias", [d]);
                yield return (p + "self_attn.k_proj.bias", [kv]);
                yield return (p + "self_attn.v_proj.bias", [kv]);
            }

            yield return (p + "mlp.gate_proj.weight", [f, d]);
            yield return (p + "mlp.up_proj.weight", [f, d]);
            yield return (p + "mlp.down_proj.weight", [d, f]);
        }

        var patches = (long)(o.ImageSize / o.PatchSize) * (o.ImageSize / o.PatchSize);
        yield return (vt + "embeddings.patch_embedding.weight", [dv, 3, o.PatchSize, o.PatchSize]);
        if (o.Siglip)
        {
            yield return (vt + "embeddings.patch_embedding.bias", [dv]);
            yield return (vt + "embeddings.position_embedding.weight", [patches, dv]);
        }
        else
        {
            yield return (vt + "embeddings.class_embedding", [dv]);
            yield return (vt + "embeddings.position_embedding.weight", [patches + 1, dv]);
            yield return (vt + "pre_layrnorm.weight", [dv]);
            yield return (vt + "pre_layrnorm.bias", [dv]);
        }

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
            yield return (p + "mlp.fc1.weight", [fv, dv]);
            yield return (p + "mlp.fc1.bias", [fv]);
            yield return (p + "mlp.fc2.weight", [dv, fv]);
            yield return (p + "mlp.fc2.bias", [dv]);
        }

        yield return (proj + "linear_1.weight", [d, dv]);
        yield return (proj + "linear_1.bias", [d]);
        yield return (proj + "linear_2.weight", [d, d]);
        yield return (proj + "linear_2.bias", [d]);
        if (o.Anyres)
        {
            yield return (newline, [d]);
        }
    }
}
