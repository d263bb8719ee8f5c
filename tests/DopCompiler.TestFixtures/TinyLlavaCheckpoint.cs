using System.Globalization;
using System.Text.Json;
using DopCompiler.Model.Checkpoints;
using static TorchSharp.torch;

namespace DopCompiler.TestFixtures;

/// <summary>
/// Writes a random-weight LLaVA checkpoint folder (config.json, preprocessor_config.json, safetensors) in the on-disk
/// layout of LLaVA-1.5 (CLIP + LLaMA) or llava-interleave-qwen (SigLIP + Qwen2), or a mixed pair.
/// </summary>
public static class TinyLlavaCheckpoint
{
    /// <summary>Writes the folder; <paramref name="metadata"/> goes into the single safetensors file's <c>__metadata__</c>.</summary>
    public static string Write(string folder, TinyLlavaOptions? options = null, SafetensorsDType storage = SafetensorsDType.F32, int shards = 1,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        options ??= new TinyLlavaOptions();
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson(options));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), PreprocessorJson(options));
        var tensors = Tensors(options);
        try
        {
            if (shards <= 1)
            {
                SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, storage, metadata);
            }
            else
            {
                var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
                var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
                for (var s = 0; s < shards; s++)
                {
                    var file = $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
                    var part = names.Where((_, i) => i % shards == s).ToDictionary(n => n, n => tensors[n]);
                    SafetensorsWriter.Write(Path.Combine(folder, file), part, storage);
                    foreach (var name in part.Keys)
                    {
                        map[name] = file;
                    }
                }

                File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
                    JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
            }
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }

        return folder;
    }

    public static Dictionary<string, Tensor> Tensors(TinyLlavaOptions o)
    {
        var generator = new Generator(0).manual_seed(o.Seed);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var (lm, lmHead, vt, proj) = o.Naming == "new"
            ? ("model.language_model.", "lm_head.weight", "model.vision_tower.vision_model.", "model.multi_modal_projector.")
            : ("language_model.model.", "language_model.lm_head.weight", "vision_tower.vision_model.", "multi_modal_projector.");
        Tensor W(long outF, long inF) => randn([outF, inF], generator: generator) * (o.WeightScale / Math.Sqrt(inF));
        Tensor V(long n, double scale = 0.1) => randn([n], generator: generator) * scale;
        Tensor Norm(long n) => ones(n) + V(n);

        var headDim = o.Hidden / o.Heads;
        result[lm + "embed_tokens.weight"] = randn([o.Vocab, o.Hidden], generator: generator);
        result[lm + "norm.weight"] = Norm(o.Hidden);
        if (!o.TieWordEmbeddings)
        {
            result[lmHead] = W(o.Vocab, o.Hidden);
        }

        for (var i = 0; i < o.Layers; i++)
        {
            var p = $"{lm}layers.{i}.";
            result[p + "input_layernorm.weight"] = Norm(o.Hidden);
            result[p + "post_attention_layernorm.weight"] = Norm(o.Hidden);
            result[p + "self_attn.q_proj.weight"] = W(o.Heads * headDim, o.Hidden);
            result[p + "self_attn.k_proj.weight"] = W(o.KeyValueHeads * headDim, o.Hidden);
            result[p + "self_attn.v_proj.weight"] = W(o.KeyValueHeads * headDim, o.Hidden);
            result[p + "self_attn.o_proj.weight"] = W(o.Hidden, o.Heads * headDim);
            if (o.Qwen)
            {
                // Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False. Large enough to matter in the parity checks.
                result[p + "self_attn.q_proj.bias"] = V(o.Heads * headDim, 0.5);
                result[p + "self_attn.k_proj.bias"] = V(o.KeyValueHeads * headDim, 0.5);
                result[p + "self_attn.v_proj.bias"] = V(o.KeyValueHeads * headDim, 0.5);
            }

            result[p + "mlp.gate_proj.weight"] = W(o.Intermediate, o.Hidden);
            result[p + "mlp.up_proj.weight"] = W(o.Intermediate, o.Hidden);
            result[p + "mlp.down_proj.weight"] = W(o.Hidden, o.Intermediate);
        }

        var dv = o.VisionHidden;
        var patches = (o.ImageSize / o.PatchSize) * (o.ImageSize / o.PatchSize);
        var fv = o.VisionMlpWidth;
        // Draw order kept as it was for CLIP, so the LLaVA-1.5 fixture (and the hashes recorded from it) stay byte-identical.
        if (o.Siglip)
        {
            // SiglipVisionEmbeddings: conv with bias, one position per patch, no class token, no pre-layernorm.
            result[vt + "embeddings.patch_embedding.weight"] = randn([dv, 3, o.PatchSize, o.PatchSize], generator: generator) / Math.Sqrt(3 * o.PatchSize * o.PatchSize);
            result[vt + "embeddings.patch_embedding.bias"] = V(dv, 0.5);
            result[vt + "embeddings.position_embedding.weight"] = randn([patches, dv], generator: generator) * 0.5;
        }
        else
        {
            result[vt + "embeddings.class_embedding"] = V(dv, 1.0);
            result[vt + "embeddings.patch_embedding.weight"] = randn([dv, 3, o.PatchSize, o.PatchSize], generator: generator) / Math.Sqrt(3 * o.PatchSize * o.PatchSize);
            result[vt + "embeddings.position_embedding.weight"] = randn([patches + 1, dv], generator: generator) * 0.5;
            result[vt + "pre_layrnorm.weight"] = Norm(dv);
            result[vt + "pre_layrnorm.bias"] = V(dv);
        }

        result[vt + "post_layernorm.weight"] = Norm(dv);
        result[vt + "post_layernorm.bias"] = V(dv);
        for (var i = 0; i < o.VisionLayers; i++)
        {
            var p = $"{vt}encoder.layers.{i}.";
            foreach (var n in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                result[p + $"self_attn.{n}.weight"] = W(dv, dv);
                result[p + $"self_attn.{n}.bias"] = V(dv);
            }

            result[p + "layer_norm1.weight"] = Norm(dv);
            result[p + "layer_norm1.bias"] = V(dv);
            result[p + "layer_norm2.weight"] = Norm(dv);
            result[p + "layer_norm2.bias"] = V(dv);
            result[p + "mlp.fc1.weight"] = W(fv, dv);
            result[p + "mlp.fc1.bias"] = V(fv);
            result[p + "mlp.fc2.weight"] = W(dv, fv);
            result[p + "mlp.fc2.bias"] = V(dv);
        }

        result[proj + "linear_1.weight"] = W(o.Hidden, dv);
        result[proj + "linear_1.bias"] = V(o.Hidden);
        result[proj + "linear_2.weight"] = W(o.Hidden, o.Hidden);
        result[proj + "linear_2.bias"] = V(o.Hidden);
        if (o.Anyres)
        {
            // Drawn last so the single-tile fixtures keep their bytes. LlavaNextModel inits it N(0, 1/sqrt(d)); larger here
            // so that it visibly moves the output.
            result[o.Naming == "new" ? "model.image_newline" : "image_newline"] = V(o.Hidden, 1.0);
        }

        return result;
    }

    public static string ConfigJson(TinyLlavaOptions o) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["{{(o.Onevision ? "LlavaOnevisionForConditionalGeneration" : o.Anyres ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration")}}"],
          "model_type": "{{(o.Onevision ? "llava_onevision" : o.Anyres ? "llava_next" : "llava")}}",{{PinpointsJson(o)}}{{(o.Onevision ? $"\n  \"vision_aspect_ratio\": \"{o.VisionAspectRatio}\"," : "")}}
          "image_token_index": {{o.ImageTokenIndex}},
          "projector_hidden_act": "gelu",
          "vision_feature_layer": {{o.VisionFeatureLayer}},
          "vision_feature_select_strategy": "{{o.FeatureStrategy}}",
          "torch_dtype": "float32",
          "text_config": {
            "model_type": "{{o.TextType}}",
            "hidden_size": {{o.Hidden}},
            "intermediate_size": {{o.Intermediate}},
            "num_hidden_layers": {{o.Layers}},
            "num_attention_heads": {{o.Heads}},
            "num_key_value_heads": {{o.KeyValueHeads}},
            "vocab_size": {{o.Vocab}},
            "rms_norm_eps": {{(o.Qwen ? "1e-6" : "1e-5")}},
            "rope_theta": {{o.RopeTheta.ToString("0.0###", CultureInfo.InvariantCulture)}},
            "hidden_act": "silu",{{(o.Qwen ? "\n    \"use_sliding_window\": false,\n    \"max_window_layers\": 24," : "")}}{{(o.Mistral ? $"\n    \"sliding_window\": {o.SlidingWindow?.ToString(CultureInfo.InvariantCulture) ?? "null"}," : "")}}
            "tie_word_embeddings": {{(o.TieWordEmbeddings ? "true" : "false")}}
          },
          "vision_config": {
            "model_type": "{{(o.Siglip ? "siglip_vision_model" : "clip_vision_model")}}",
            "hidden_size": {{o.VisionHidden}},
            "intermediate_size": {{o.VisionMlpWidth}},
            "num_hidden_layers": {{o.VisionLayers}},
            "num_attention_heads": {{o.VisionHeads}},
            "image_size": {{o.ImageSize}},
            "patch_size": {{o.PatchSize}},
            "hidden_act": "{{(o.Siglip ? "gelu_pytorch_tanh" : "quick_gelu")}}",
            "layer_norm_eps": {{(o.Siglip ? "1e-6" : "1e-5")}}
          }
        }
        """);

    /// <summary>The image processor config the checkpoint ships: CLIPImageProcessor's or SiglipImageProcessor's.</summary>
    public static string PreprocessorJson(TinyLlavaOptions o) => o.Onevision ? LlavaOnevisionPreprocessorJson(o) : o.Anyres ? LlavaNextPreprocessorJson(o) : o.Siglip ? SiglipPreprocessorJson(o) : ClipPreprocessorJson(o);

    /// <summary>llava-v1.6's preprocessor_config.json at the fixture's size: CLIP's keys plus the pinpoints.</summary>
    public static string LlavaNextPreprocessorJson(TinyLlavaOptions o) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "crop_size": { "height": {{o.ImageSize}}, "width": {{o.ImageSize}} },
          "size": { "shortest_edge": {{o.ImageSize}} },
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_pad": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "rescale_factor": 0.00392156862745098,
          "resample": 3,{{PinpointsJson(o)}}
          "image_processor_type": "LlavaNextImageProcessor",
          "processor_class": "LlavaNextProcessor"
        }
        """);

    /// <summary>llava-onevision-qwen2's preprocessor_config.json at the fixture's size: SigLIP's keys plus the pinpoints.</summary>
    public static string LlavaOnevisionPreprocessorJson(TinyLlavaOptions o) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_pad": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.5, 0.5, 0.5],
          "image_std": [0.5, 0.5, 0.5],
          "rescale_factor": 0.00392156862745098,
          "resample": 3,{{PinpointsJson(o)}}
          "size": { "height": {{o.ImageSize}}, "width": {{o.ImageSize}} },
          "image_processor_type": "LlavaOnevisionImageProcessor",
          "processor_class": "LlavaOnevisionProcessor"
        }
        """);

    private static string PinpointsJson(TinyLlavaOptions o) => o.GridPinpoints is { } pinpoints
        ? "\n  \"image_grid_pinpoints\": [" + string.Join(", ", pinpoints.Select(p => string.Create(CultureInfo.InvariantCulture, $"[{p.Height}, {p.Width}]"))) + "],"
        : "";

    /// <summary>llava-interleave-qwen's preprocessor_config.json at another size: exact resize, mean/std 0.5, no crop.</summary>
    public static string SiglipPreprocessorJson(TinyLlavaOptions o) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "do_convert_rgb": null,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.5, 0.5, 0.5],
          "image_processor_type": "SiglipImageProcessor",
          "image_std": [0.5, 0.5, 0.5],
          "processor_class": "LlavaProcessor",
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": { "height": {{o.ImageSize}}, "width": {{o.ImageSize}} }
        }
        """);

    public static string ClipPreprocessorJson(TinyLlavaOptions o) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "crop_size": { "height": {{o.ImageSize}}, "width": {{o.ImageSize}} },
          "size": { "shortest_edge": {{o.ImageSize}} },
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "rescale_factor": 0.00392156862745098,
          "resample": 3,
          "image_processor_type": "CLIPImageProcessor"
        }
        """);
}
