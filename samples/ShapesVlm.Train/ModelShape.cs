using System.Globalization;

namespace ShapesVlm.Train;

/// <summary>The sizes of the trained model; written to config.json on export.</summary>
public sealed record ModelShape
{
    public int Hidden { get; init; } = 192;
    public int Intermediate { get; init; } = 512;
    public int Layers { get; init; } = 8;
    public int Heads { get; init; } = 8;
    public int KeyValueHeads { get; init; } = 2;
    public int Vocab { get; init; } = 231;
    public int VisionHidden { get; init; } = 128;
    public int VisionIntermediate { get; init; } = 512;
    public int VisionLayers { get; init; } = 4;
    public int VisionHeads { get; init; } = 4;
    public int ImageSize { get; init; } = 192;
    public int PatchSize { get; init; } = 16;
    public int ImageTokenIndex { get; init; } = 4;
    public double RmsNormEps { get; init; } = 1e-5;
    public double LayerNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Which checkpoint family the model is built and exported as (<see cref="ModelLayout"/>).</summary>
    public string Layout { get; init; } = ModelLayout.Llava15;

    /// <summary>SigLIP tower + Qwen2 decoder (<see cref="ModelLayout.SiglipQwen2"/>).</summary>
    public bool IsSiglipQwen2 => Layout == ModelLayout.SiglipQwen2;

    public int HeadDim => Hidden / Heads;

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>Named presets measured for the 2-core CPU (see README "Training").</summary>
    public static ModelShape Preset(string name) => name switch
    {
        "small" => new ModelShape(),
        "medium" => new ModelShape { Hidden = 256, Intermediate = 688, VisionHidden = 192, VisionIntermediate = 768, VisionHeads = 6 },
        "wide-vision" => new ModelShape { Hidden = 192, Intermediate = 512, VisionHidden = 192, VisionIntermediate = 768, VisionHeads = 6 },
        _ => throw new ArgumentException($"unknown size preset '{name}' (small, medium, wide-vision)"),
    };

    /// <summary>config.json of <see cref="Layout"/>, as the DopCompiler loader (and transformers) read it.</summary>
    public string ConfigJson(string torchDtype = "bfloat16") => IsSiglipQwen2 ? SiglipQwen2ConfigJson(torchDtype) : Llava15ConfigJson(torchDtype);

    /// <summary>preprocessor_config.json of <see cref="Layout"/>.</summary>
    public string PreprocessorJson() => IsSiglipQwen2 ? SiglipPreprocessorJson() : ClipPreprocessorJson();

    /// <summary>config.json in the LLaVA-1.5 layout (CLIP + LLaMA).</summary>
    private string Llava15ConfigJson(string torchDtype) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["LlavaForConditionalGeneration"],
          "model_type": "llava",
          "image_token_index": {{ImageTokenIndex}},
          "projector_hidden_act": "gelu",
          "vision_feature_layer": -1,
          "vision_feature_select_strategy": "default",
          "torch_dtype": "{{torchDtype}}",
          "text_config": {
            "model_type": "llama",
            "hidden_size": {{Hidden}},
            "intermediate_size": {{Intermediate}},
            "num_hidden_layers": {{Layers}},
            "num_attention_heads": {{Heads}},
            "num_key_value_heads": {{KeyValueHeads}},
            "head_dim": {{HeadDim}},
            "vocab_size": {{Vocab}},
            "max_position_embeddings": 256,
            "rms_norm_eps": {{RmsNormEps}},
            "rope_theta": {{RopeTheta:0.0}},
            "hidden_act": "silu",
            "attention_bias": false,
            "mlp_bias": false,
            "tie_word_embeddings": false,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "pad_token_id": 1
          },
          "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_size": {{VisionHidden}},
            "intermediate_size": {{VisionIntermediate}},
            "num_hidden_layers": {{VisionLayers}},
            "num_attention_heads": {{VisionHeads}},
            "num_channels": 3,
            "image_size": {{ImageSize}},
            "patch_size": {{PatchSize}},
            "hidden_act": "quick_gelu",
            "layer_norm_eps": {{LayerNormEps}}
          }
        }

        """);

    /// <summary>preprocessor_config.json: CLIP rescale and normalisation at the native 192×192 size.</summary>
    private string ClipPreprocessorJson() => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "crop_size": { "height": {{ImageSize}}, "width": {{ImageSize}} },
          "size": { "shortest_edge": {{ImageSize}} },
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

    /// <summary>
    /// config.json of a LLaVA with a SigLIP tower and a Qwen2 decoder, the layout of llava-hf/llava-interleave-qwen-0.5b-hf:
    /// <c>vision_feature_select_strategy: full</c> (SigLIP has no [CLS] to drop; <c>default</c> would drop a patch),
    /// no pooling head (<c>vision_use_head: false</c>; LLaVA reads encoder hidden states, never the head), Qwen2's
    /// built-in q/k/v biases (no <c>attention_bias</c> key in Qwen2Config) and its 1e-6 norms.
    /// </summary>
    private string SiglipQwen2ConfigJson(string torchDtype) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["LlavaForConditionalGeneration"],
          "model_type": "llava",
          "image_token_index": {{ImageTokenIndex}},
          "projector_hidden_act": "gelu",
          "vision_feature_layer": -1,
          "vision_feature_select_strategy": "full",
          "torch_dtype": "{{torchDtype}}",
          "text_config": {
            "model_type": "qwen2",
            "hidden_size": {{Hidden}},
            "intermediate_size": {{Intermediate}},
            "num_hidden_layers": {{Layers}},
            "num_attention_heads": {{Heads}},
            "num_key_value_heads": {{KeyValueHeads}},
            "vocab_size": {{Vocab}},
            "max_position_embeddings": 256,
            "rms_norm_eps": {{RmsNormEps:0.0#####E+0}},
            "rope_theta": {{RopeTheta:0.0}},
            "hidden_act": "silu",
            "use_sliding_window": false,
            "sliding_window": null,
            "tie_word_embeddings": false,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "pad_token_id": 1
          },
          "vision_config": {
            "model_type": "siglip_vision_model",
            "hidden_size": {{VisionHidden}},
            "intermediate_size": {{VisionIntermediate}},
            "num_hidden_layers": {{VisionLayers}},
            "num_attention_heads": {{VisionHeads}},
            "num_channels": 3,
            "image_size": {{ImageSize}},
            "patch_size": {{PatchSize}},
            "hidden_act": "gelu_pytorch_tanh",
            "layer_norm_eps": {{LayerNormEps:0.0#####E+0}},
            "vision_use_head": false
          }
        }

        """);

    /// <summary>preprocessor_config.json of SiglipImageProcessor: exact resize to 192×192 (a no-op here), rescale, mean/std 0.5, no crop.</summary>
    private string SiglipPreprocessorJson() => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "size": { "height": {{ImageSize}}, "width": {{ImageSize}} },
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.5, 0.5, 0.5],
          "image_std": [0.5, 0.5, 0.5],
          "rescale_factor": 0.00392156862745098,
          "resample": 3,
          "image_processor_type": "SiglipImageProcessor"
        }

        """);

    /// <summary>
    /// tokenizer_config.json as a Qwen2 checkpoint ships it (<c>tokenizer_class: Qwen2Tokenizer</c>, the special tokens in
    /// <c>added_tokens_decoder</c>), over the sample's own vocab.json + merges.txt. Unlike Qwen2 the prompt starts with
    /// <c>&lt;s&gt;</c> (<c>add_bos_token: true</c>): the task and its prompt ids are the LLaVA-1.5 sample's.
    /// </summary>
    public static string Qwen2TokenizerConfigJson() => """
        {
          "tokenizer_class": "Qwen2Tokenizer",
          "add_bos_token": true,
          "add_eos_token": false,
          "bos_token": "<s>",
          "eos_token": "</s>",
          "pad_token": "<pad>",
          "unk_token": "<unk>",
          "added_tokens_decoder": {
            "0": { "content": "<s>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false },
            "1": { "content": "<pad>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false },
            "2": { "content": "</s>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false },
            "3": { "content": "<unk>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false },
            "4": { "content": "<image>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false }
          },
          "additional_special_tokens": ["<image>"],
          "model_max_length": 256
        }

        """;
}
