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

    /// <summary>config.json in the LLaVA-1.5 layout the DopCompiler loader (and transformers) read.</summary>
    public string ConfigJson(string torchDtype = "bfloat16") => string.Create(CultureInfo.InvariantCulture, $$"""
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
    public string PreprocessorJson() => string.Create(CultureInfo.InvariantCulture, $$"""
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
}
