using System.Text.Json;

namespace DopCompiler.Model.Configuration;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> for <c>model_type</c> <c>llava</c> (CLIP or SigLIP tower, LLaMA or Qwen2
/// decoder), <c>llama</c> or <c>qwen2</c>. Absent keys take transformers' defaults for the sub-config's own class (a
/// <c>vision_config</c>/<c>text_config</c> dict is built with its model type's config class: configuration_llava.py
/// lines 80-82 and 97-99 at huggingface/transformers@053f59e).
/// </summary>
/// <remarks>
/// Fields that change the math are checked and an unsupported value is a DOP004 error naming the field (for example
/// <c>rope_scaling</c>, biased attention, another activation). Bookkeeping fields that real configs carry by the dozen
/// (<c>transformers_version</c>, <c>torch_dtype</c>, token ids ...) are ignored on purpose: rejecting them would reject
/// real checkpoints without making any answer more correct.
/// </remarks>
public static class ModelConfigReader
{
    public const string FileName = "config.json";

    /// <summary>What the reader accepts, for errors that name it.</summary>
    public const string Supported = "'llava' (vision_config.model_type 'clip_vision_model' or 'siglip_vision_model'; text_config.model_type 'llama', 'mistral' or 'qwen2'), 'llava_next' (CLIP tower; 'llama' or 'mistral' decoder), 'llava_onevision' (SigLIP tower, 'full' features; 'qwen2' decoder), 'llama' and 'qwen2'";

    public static ModelConfig Read(string modelFolder)
    {
        var path = Path.Combine(modelFolder, FileName);
        if (!File.Exists(path))
        {
            throw new DopException(DiagnosticCodes.ModelNotFound, $"no {FileName} in the model folder {modelFolder}", path);
        }

        RegularFiles.Check(path);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Utf8Json.Read(path, DiagnosticCodes.ModelConfig), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new DopException(DiagnosticCodes.ModelConfig, $"not well-formed JSON: {e.Message}", path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
        }

        using (document)
        {
            var root = new JsonFields(document.RootElement, path, "");
            var modelType = root.String("model_type", null);
            return modelType switch
            {
                "llava" => ReadLlava(root),
                "llava_next" => ReadLlavaNext(root),
                "llava_onevision" => ReadLlavaOnevision(root),
                "llama" or "qwen2" => new ModelConfig { ModelType = modelType, Text = ReadText(root, modelType) },
                _ => throw new DopException(DiagnosticCodes.ModelConfig,
                    $"model_type '{modelType}' is not supported: DopCompiler reads {Supported}", path),
            };
        }
    }

    /// <remarks>
    /// The defaults are LLaVA's; LLaVA-OneVision passes its own (<see cref="ReadLlavaOnevision"/>).
    /// </remarks>
    private static ModelConfig ReadLlava(JsonFields root, string textTypeDefault = "llama", string visionTypeDefault = VisionConfig.ClipType,
        int featureLayerDefault = -2, string strategyDefault = "default", int imageTokenDefault = 32000)
    {
        var text = root.Object("text_config");
        // configuration_llava.py line 98: text_config["model_type"] defaults to "llama".
        var textType = text.String("model_type", textTypeDefault)!;
        if (textType is not ("llama" or "qwen2" or "mistral"))
        {
            throw text.Error("model_type", $"text_config.model_type '{textType}' is not supported; supported: {Supported}");
        }

        var visionFields = root.Object("vision_config");
        // configuration_llava.py line 81: vision_config["model_type"] defaults to "clip_vision_model".
        var visionType = visionFields.String("model_type", visionTypeDefault)!;
        var vision = visionType switch
        {
            VisionConfig.ClipType => ReadClip(visionFields),
            VisionConfig.SiglipType => ReadSiglip(visionFields),
            _ => throw visionFields.Error("model_type", $"vision_config.model_type '{visionType}' is not supported; supported: {Supported}"),
        };
        if (vision.HiddenAct is not ("quick_gelu" or "gelu" or "gelu_pytorch_tanh"))
        {
            throw visionFields.Error("hidden_act", $"vision_config.hidden_act '{vision.HiddenAct}' is not supported (quick_gelu, gelu, gelu_pytorch_tanh)");
        }

        // image_size need not be a multiple of patch_size: the patch convolution (stride = kernel, no padding) drops the
        // remainder, and transformers counts (image_size // patch_size)² patches. SigLIP-so400m-patch14-384 (384 / 14,
        // llava-interleave's tower) has 27 × 27 = 729.
        if (vision.ImageSize < vision.PatchSize || vision.HiddenSize % vision.NumHeads != 0)
        {
            throw visionFields.Error("image_size", "vision_config: image_size must be at least patch_size, and hidden_size a multiple of num_attention_heads");
        }

        if (root.Has("vision_feature_layer") && root.Element("vision_feature_layer").ValueKind == JsonValueKind.Array)
        {
            throw root.Error("vision_feature_layer", "a list of vision feature layers (concatenated features) is not supported; give one layer index");
        }

        var featureLayer = root.Int("vision_feature_layer", featureLayerDefault);
        var strategyText = root.String("vision_feature_select_strategy", strategyDefault);
        var strategy = strategyText switch
        {
            "default" => FeatureSelectStrategy.Default,
            "full" => FeatureSelectStrategy.Full,
            _ => throw root.Error("vision_feature_select_strategy", $"vision_feature_select_strategy '{strategyText}' is not supported (default, full)"),
        };
        var used = featureLayer < 0 ? vision.NumLayers + 1 + featureLayer : featureLayer;
        if (used < 0 || used > vision.NumLayers)
        {
            throw root.Error("vision_feature_layer", $"vision_feature_layer {featureLayer} is outside the tower's {vision.NumLayers} layers");
        }

        var projectorAct = root.String("projector_hidden_act", "gelu")!;
        if (projectorAct != "gelu")
        {
            throw root.Error("projector_hidden_act", $"projector_hidden_act '{projectorAct}' is not supported (gelu)");
        }

        // configuration_llava.py line 62: multimodal_projector_bias=True; the projector is read with its biases.
        if (!root.Bool("multimodal_projector_bias", true))
        {
            throw root.Error("multimodal_projector_bias", "multimodal_projector_bias: false is not supported (the projector's linear layers carry biases)");
        }

        // Older configs call it image_token_index, newer ones image_token_id (configuration_llava.py line 49's
        // attribute_map); the default is line 57's 32000.
        var imageToken = root.Has("image_token_index") ? root.Int("image_token_index", imageTokenDefault) : root.Int("image_token_id", imageTokenDefault);
        var textConfig = ReadText(text, textType);
        // configuration_llava.py lines 109-110: a tie_word_embeddings in either place ties the LM head.
        if (root.Bool("tie_word_embeddings", false) && !textConfig.TieWordEmbeddings)
        {
            textConfig = textConfig with { TieWordEmbeddings = true };
        }

        return new ModelConfig
        {
            ModelType = "llava",
            Text = textConfig,
            Vision = vision,
            ImageTokenIndex = imageToken,
            VisionFeatureLayer = featureLayer,
            FeatureSelectStrategy = strategy,
            ProjectorHiddenAct = projectorAct,
        };
    }

    /// <summary>
    /// LLaVA-NeXT (LlavaNextConfig, configuration_llava_next.py at huggingface/transformers@063b32f): LLaVA's keys with
    /// the same defaults (image_token_index 32000, gelu projector, strategy default, feature layer -2, a CLIP tower and a
    /// LLaMA decoder when their dicts lack model_type) plus <c>image_grid_pinpoints</c>, default
    /// <c>[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]</c>, as (height, width).
    /// </summary>
    private static ModelConfig ReadLlavaNext(JsonFields root)
    {
        var llava = ReadLlava(root);
        var vision = llava.Vision!;
        if (vision.IsSiglip)
        {
            throw root.Object("vision_config").Error("model_type", "llava_next reads a CLIP tower; a SigLIP tower with anyres tiles is model_type llava_onevision");
        }

        // pack_image_features views each tile's features as a (image_size // patch_size)² grid: with 'full' a CLIP tile has
        // one row more ([CLS]) and the view does not hold (transformers only warns and then fails).
        if (llava.FeatureSelectStrategy != FeatureSelectStrategy.Default)
        {
            throw root.Error("vision_feature_select_strategy", "llava_next needs vision_feature_select_strategy 'default' on a CLIP tower (each tile's features must form the patch grid)");
        }

        var pinpoints = ReadPinpoints(root, vision, [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]);
        return llava with { ModelType = "llava_next", ImageGridPinpoints = pinpoints };
    }

    /// <summary>
    /// LLaVA-OneVision (LlavaOnevisionConfig, configuration_llava_onevision.py at huggingface/transformers@44b0045): LLaVA's
    /// keys with OneVision's defaults (image_token_index 151646, vision_feature_select_strategy <c>full</c>,
    /// vision_feature_layer -1, a SigLIP tower and a Qwen2 decoder when their dicts lack model_type), the 36 pinpoints
    /// 384·(1..6) × 384·(1..6) (height-major) when <c>image_grid_pinpoints</c> is absent, and <c>vision_aspect_ratio</c>
    /// <c>anyres_max_9</c>. The tiles' features are packed as LLaVA-NeXT's, then shrunk when large
    /// (<see cref="ModelConfig.AnyresPackedGrid"/>).
    /// </summary>
    private static ModelConfig ReadLlavaOnevision(JsonFields root)
    {
        // The config's default tower (so400m: hidden 1152, 26 layers, patch 14, image 384) differs from
        // SiglipVisionConfig's own defaults, which is what an absent vision_config would read here.
        if (!root.Has("vision_config"))
        {
            throw root.Error("model_type", "llava_onevision without a vision_config is not supported (give the SigLIP tower's vision_config, as the published checkpoints do)");
        }

        var llava = ReadLlava(root, textTypeDefault: "qwen2", visionTypeDefault: VisionConfig.SiglipType, featureLayerDefault: -1, strategyDefault: "full", imageTokenDefault: 151646);
        var vision = llava.Vision!;
        if (!vision.IsSiglip)
        {
            throw root.Object("vision_config").Error("model_type", "llava_onevision reads a SigLIP tower (siglip_vision_model)");
        }

        // pack_image_features checks height * width == base_image_feature.shape[0] (g² patches): 'default' drops one and
        // transformers raises "The number of patches is not consistent with the image size".
        if (llava.FeatureSelectStrategy != FeatureSelectStrategy.Full)
        {
            throw root.Error("vision_feature_select_strategy", "llava_onevision needs vision_feature_select_strategy 'full' on a SigLIP tower (each tile's features must form the patch grid)");
        }

        // vision_aspect_ratio.strip("anyres_max_") in pack_image_features strips those characters from both ends, so
        // "anyres_max_9" gives 9; anything else with a positive integer left is read the same way.
        var aspect = root.String("vision_aspect_ratio", "anyres_max_9")!;
        var digits = aspect.Trim("anyres_max_".ToCharArray());
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var maxPatches) || maxPatches <= 0)
        {
            throw root.Error("vision_aspect_ratio", $"vision_aspect_ratio '{aspect}' is not supported: anyres_max_N with a positive integer N");
        }

        var defaults = new List<(int, int)>();
        foreach (var h in Enumerable.Range(1, 6))
        {
            defaults.AddRange(Enumerable.Range(1, 6).Select(w => (384 * h, 384 * w)));
        }

        var pinpoints = ReadPinpoints(root, vision, defaults);
        return llava with { ModelType = "llava_onevision", ImageGridPinpoints = pinpoints, AnyresMaxPatches = maxPatches };
    }

    /// <summary>
    /// <c>image_grid_pinpoints</c> as (height, width), <paramref name="defaults"/> when absent or null; each a multiple
    /// of vision_config.image_size.
    /// </summary>
    private static (int Height, int Width)[] ReadPinpoints(JsonFields root, VisionConfig vision, IReadOnlyList<(int Height, int Width)> defaults)
    {
        var pinpoints = new List<(int Height, int Width)>();
        if (!root.Has("image_grid_pinpoints") || root.Element("image_grid_pinpoints").ValueKind == JsonValueKind.Null)
        {
            pinpoints.AddRange(defaults);
        }
        else
        {
            var element = root.Element("image_grid_pinpoints");
            var pairs = element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToArray() : [];
            foreach (var pair in pairs)
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                    || pair[0].ValueKind != JsonValueKind.Number || pair[1].ValueKind != JsonValueKind.Number
                    || !pair[0].TryGetInt32(out var h) || !pair[1].TryGetInt32(out var w) || h <= 0 || w <= 0)
                {
                    throw root.Error("image_grid_pinpoints", $"image_grid_pinpoints entries must be [height, width] pairs of positive integers, found {pair.GetRawText()}");
                }

                pinpoints.Add((h, w));
            }

            if (pinpoints.Count == 0)
            {
                throw root.Error("image_grid_pinpoints", "image_grid_pinpoints must be a non-empty list of [height, width] pairs");
            }
        }

        foreach (var (h, w) in pinpoints)
        {
            // get_anyres_image_grid_shape floor-divides by image_size while the processor cuts whole crop-size tiles: a
            // remainder would leave tiles the grid view cannot place.
            if (h % vision.ImageSize != 0 || w % vision.ImageSize != 0 || h > 8192 || w > 8192)
            {
                throw root.Error("image_grid_pinpoints", $"image_grid_pinpoints entry [{h}, {w}] must be multiples of vision_config.image_size {vision.ImageSize}, at most 8192");
            }
        }

        return pinpoints.ToArray();
    }

    /// <summary>
    /// CLIP's tower. Absent keys keep the values this reader has always used (LLaVA-1.5's, configuration_llava.py
    /// lines 84-92, which apply when vision_config is absent altogether).
    /// </summary>
    private static VisionConfig ReadClip(JsonFields f) => new()
    {
        ModelType = VisionConfig.ClipType,
        HiddenSize = f.Positive("hidden_size", 1024),
        IntermediateSize = f.Positive("intermediate_size", 4096),
        NumLayers = f.Positive("num_hidden_layers", 24),
        NumHeads = f.Positive("num_attention_heads", 16),
        ImageSize = f.Positive("image_size", 336),
        PatchSize = f.Positive("patch_size", 14),
        NumChannels = f.Positive("num_channels", 3),
        LayerNormEps = f.Double("layer_norm_eps", 1e-5),
        HiddenAct = f.String("hidden_act", "quick_gelu")!,
    };

    /// <summary>
    /// SigLIP's tower with SiglipVisionConfig's defaults (configuration_siglip.py lines 185-196 at
    /// huggingface/transformers@d5ab4d5: hidden 768, intermediate 3072, 12 layers, 12 heads, 3 channels, image 224,
    /// patch 16, gelu_pytorch_tanh, layer_norm_eps 1e-6).
    /// </summary>
    private static VisionConfig ReadSiglip(JsonFields f) => new()
    {
        ModelType = VisionConfig.SiglipType,
        HiddenSize = f.Positive("hidden_size", 768),
        IntermediateSize = f.Positive("intermediate_size", 3072),
        NumLayers = f.Positive("num_hidden_layers", 12),
        NumHeads = f.Positive("num_attention_heads", 12),
        ImageSize = f.Positive("image_size", 224),
        PatchSize = f.Positive("patch_size", 16),
        NumChannels = f.Positive("num_channels", 3),
        LayerNormEps = f.Double("layer_norm_eps", 1e-6),
        HiddenAct = f.String("hidden_act", "gelu_pytorch_tanh")!,
    };

    /// <summary>
    /// A LLaMA or Qwen2 decoder. Qwen2's defaults are Qwen2Config's (configuration_qwen2.py lines 61-76 at
    /// huggingface/transformers@008e574: vocab 151936, hidden 4096, intermediate 22016, 32 layers, 32 heads, KV heads =
    /// heads when absent (its __post_init__), silu, rms_norm_eps 1e-6, untied, no sliding window; rope_theta 10000 as in
    /// transformers 4.x's Qwen2Config.__init__ and 5.x's default rope parameters).
    /// </summary>
    /// <remarks>
    /// Mistral is LLaMA's arithmetic (no biases, SwiGLU, RMSNorm, RoPE) with MistralConfig's defaults
    /// (configuration_mistral.py at huggingface/transformers@001f85b: intermediate 14336, 8 KV heads, rms_norm_eps 1e-6,
    /// sliding_window 4096; null there means no window).
    /// </remarks>
    private static TextConfig ReadText(JsonFields fields, string modelType)
    {
        var qwen = modelType == "qwen2";
        var mistral = modelType == "mistral";
        var hidden = fields.Positive("hidden_size", 4096);
        var heads = fields.Positive("num_attention_heads", 32);
        var kvHeads = fields.Positive("num_key_value_heads", mistral ? 8 : heads);
        if (heads % kvHeads != 0)
        {
            throw fields.Error("num_key_value_heads", $"num_attention_heads ({heads}) must be a multiple of num_key_value_heads ({kvHeads})");
        }

        var act = fields.String("hidden_act", "silu");
        if (act != "silu")
        {
            throw fields.Error("hidden_act", $"hidden_act '{act}' is not supported ({modelType}'s SwiGLU MLP with silu only)");
        }

        if (fields.Has("rope_scaling") && fields.Element("rope_scaling").ValueKind != JsonValueKind.Null)
        {
            throw fields.Error("rope_scaling", "rope_scaling is not supported (plain RoPE with rope_theta only)");
        }

        // transformers 5 writes RoPE settings as rope_parameters {rope_type, rope_theta}; only the plain kind is implemented.
        var ropeTheta = fields.Double("rope_theta", 10000.0);
        if (fields.Has("rope_parameters") && fields.Element("rope_parameters").ValueKind == JsonValueKind.Object)
        {
            var rope = fields.Object("rope_parameters");
            var ropeType = rope.String("rope_type", "default");
            if (ropeType != "default")
            {
                throw rope.Error("rope_type", $"rope_parameters.rope_type '{ropeType}' is not supported (plain RoPE, 'default', only)");
            }

            ropeTheta = rope.Double("rope_theta", ropeTheta);
        }

        if (qwen && fields.Bool("use_sliding_window", false))
        {
            throw fields.Error("use_sliding_window", "use_sliding_window: true is not supported (every layer attends to the whole prompt)");
        }

        // LLaMA's attention_bias would put biases on o_proj too, and mlp_bias on the MLP: neither is implemented. Qwen2
        // has neither key; its q/k/v biases are built in (Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False).
        foreach (var flag in new[] { "attention_bias", "mlp_bias" })
        {
            if (fields.Has(flag) && fields.Element(flag).ValueKind == JsonValueKind.True)
            {
                throw fields.Error(flag, $"{flag}: true is not supported ({modelType} projections have no bias{(qwen ? " beyond q/k/v" : "")})");
            }
        }

        var headDim = fields.Has("head_dim") && fields.Element("head_dim").ValueKind != JsonValueKind.Null
            ? fields.Positive("head_dim", hidden / heads)
            : hidden / heads;
        return new TextConfig
        {
            ModelType = modelType,
            QkvBias = qwen,
            HiddenSize = hidden,
            IntermediateSize = fields.Positive("intermediate_size", qwen ? 22016 : mistral ? 14336 : 11008),
            NumLayers = fields.Positive("num_hidden_layers", 32),
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = fields.Positive("vocab_size", qwen ? 151936 : 32000),
            RmsNormEps = fields.Double("rms_norm_eps", 1e-6),
            RopeTheta = ropeTheta,
            TieWordEmbeddings = fields.Bool("tie_word_embeddings", false),
            SlidingWindow = !mistral ? null
                : fields.Has("sliding_window") && fields.Element("sliding_window").ValueKind == JsonValueKind.Null ? null
                : fields.Positive("sliding_window", 4096),
        };
    }

    /// <summary>Typed access to one JSON object with errors that name the config file and the field.</summary>
    private readonly record struct JsonFields(JsonElement Value, string Path, string Prefix)
    {
        public bool Has(string name) => Value.ValueKind == JsonValueKind.Object && Value.TryGetProperty(name, out _);

        public JsonElement Element(string name) => Value.GetProperty(name);

        public JsonFields Object(string name)
        {
            if (!Value.TryGetProperty(name, out var child) || child.ValueKind != JsonValueKind.Object)
            {
                throw Error(name, $"'{Prefix}{name}' is missing or not an object");
            }

            return new JsonFields(child, Path, $"{Prefix}{name}.");
        }

        public string? String(string name, string? fallback)
        {
            if (!Value.TryGetProperty(name, out var child) || child.ValueKind == JsonValueKind.Null)
            {
                return fallback ?? throw Error(name, $"'{Prefix}{name}' is missing");
            }

            return child.ValueKind == JsonValueKind.String ? child.GetString() : throw Error(name, $"'{Prefix}{name}' must be a string");
        }

        /// <summary>A size or count: a positive integer (a zero would divide by zero later, a negative would allocate nonsense).</summary>
        public int Positive(string name, int fallback)
        {
            var value = Int(name, fallback);
            return value > 0 ? value : throw Error(name, $"'{Prefix}{name}' must be a positive integer, found {value}");
        }

        public int Int(string name, int fallback)
        {
            if (!Value.TryGetProperty(name, out var child) || child.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            return child.ValueKind == JsonValueKind.Number && child.TryGetInt32(out var value)
                ? value
                : throw Error(name, $"'{Prefix}{name}' must be an integer");
        }

        public double Double(string name, double fallback)
        {
            if (!Value.TryGetProperty(name, out var child) || child.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            return child.ValueKind == JsonValueKind.Number ? child.GetDouble() : throw Error(name, $"'{Prefix}{name}' must be a number");
        }

        public bool Bool(string name, bool fallback)
        {
            if (!Value.TryGetProperty(name, out var child) || child.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            return child.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(name, $"'{Prefix}{name}' must be true or false"),
            };
        }

        public DopException Error(string name, string message) =>
            new(DiagnosticCodes.ModelConfig, $"{message} ({Prefix}{name})", Path);
    }
}
