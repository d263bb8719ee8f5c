using System.Text.Json;

namespace DopCompiler.Model.Configuration;

/// <summary>Reads a Hugging Face <c>config.json</c> for <c>model_type</c> <c>llava</c> (LLaVA-1.5) or <c>llama</c>.</summary>
/// <remarks>
/// Fields that change the math are checked and an unsupported value is a DOP004 error naming the field (for example
/// <c>rope_scaling</c>, biased attention, another activation). Bookkeeping fields that real configs carry by the dozen
/// (<c>transformers_version</c>, <c>torch_dtype</c>, token ids ...) are ignored on purpose: rejecting them would reject
/// real checkpoints without making any answer more correct.
/// </remarks>
public static class ModelConfigReader
{
    public const string FileName = "config.json";

    public static ModelConfig Read(string modelFolder)
    {
        var path = Path.Combine(modelFolder, FileName);
        if (!File.Exists(path))
        {
            throw new DopException(DiagnosticCodes.ModelNotFound, $"no {FileName} in the model folder {modelFolder}", path);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
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
                "llama" => new ModelConfig { ModelType = "llama", Text = ReadText(root) },
                _ => throw new DopException(DiagnosticCodes.ModelConfig,
                    $"model_type '{modelType}' is not supported: DopCompiler reads 'llava' (LLaVA-1.5: CLIP vision tower, two-layer projector, LLaMA decoder) and 'llama'", path),
            };
        }
    }

    private static ModelConfig ReadLlava(JsonFields root)
    {
        var text = root.Object("text_config");
        var textType = text.String("model_type", "llama");
        if (textType != "llama")
        {
            throw text.Error("model_type", $"text_config.model_type '{textType}' is not supported (only 'llama' decoders)");
        }

        var visionFields = root.Object("vision_config");
        var visionType = visionFields.String("model_type", "clip_vision_model");
        if (visionType != "clip_vision_model")
        {
            throw visionFields.Error("model_type", $"vision_config.model_type '{visionType}' is not supported (only 'clip_vision_model')");
        }

        var vision = new VisionConfig
        {
            HiddenSize = visionFields.Int("hidden_size", 1024),
            IntermediateSize = visionFields.Int("intermediate_size", 4096),
            NumLayers = visionFields.Int("num_hidden_layers", 24),
            NumHeads = visionFields.Int("num_attention_heads", 16),
            ImageSize = visionFields.Int("image_size", 336),
            PatchSize = visionFields.Int("patch_size", 14),
            NumChannels = visionFields.Int("num_channels", 3),
            LayerNormEps = visionFields.Double("layer_norm_eps", 1e-5),
            HiddenAct = visionFields.String("hidden_act", "quick_gelu")!,
        };
        if (vision.HiddenAct is not ("quick_gelu" or "gelu"))
        {
            throw visionFields.Error("hidden_act", $"vision_config.hidden_act '{vision.HiddenAct}' is not supported (quick_gelu, gelu)");
        }

        if (vision.ImageSize % vision.PatchSize != 0 || vision.HiddenSize % vision.NumHeads != 0)
        {
            throw visionFields.Error("image_size", "vision_config: image_size must be a multiple of patch_size and hidden_size of num_attention_heads");
        }

        if (root.Has("vision_feature_layer") && root.Element("vision_feature_layer").ValueKind == JsonValueKind.Array)
        {
            throw root.Error("vision_feature_layer", "a list of vision feature layers (concatenated features) is not supported; give one layer index");
        }

        var featureLayer = root.Int("vision_feature_layer", -2);
        var strategyText = root.String("vision_feature_select_strategy", "default");
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

        // Older configs call it image_token_index, newer ones image_token_id.
        var imageToken = root.Has("image_token_index") ? root.Int("image_token_index", 32000) : root.Int("image_token_id", 32000);
        return new ModelConfig
        {
            ModelType = "llava",
            Text = ReadText(text),
            Vision = vision,
            ImageTokenIndex = imageToken,
            VisionFeatureLayer = featureLayer,
            FeatureSelectStrategy = strategy,
            ProjectorHiddenAct = projectorAct,
        };
    }

    private static TextConfig ReadText(JsonFields fields)
    {
        var hidden = fields.Int("hidden_size", 4096);
        var heads = fields.Int("num_attention_heads", 32);
        var kvHeads = fields.Int("num_key_value_heads", heads);
        if (heads % kvHeads != 0)
        {
            throw fields.Error("num_key_value_heads", $"num_attention_heads ({heads}) must be a multiple of num_key_value_heads ({kvHeads})");
        }

        var act = fields.String("hidden_act", "silu");
        if (act != "silu")
        {
            throw fields.Error("hidden_act", $"hidden_act '{act}' is not supported (LLaMA's SwiGLU uses silu)");
        }

        if (fields.Has("rope_scaling") && fields.Element("rope_scaling").ValueKind != JsonValueKind.Null)
        {
            throw fields.Error("rope_scaling", "rope_scaling is not supported (plain RoPE with rope_theta only)");
        }

        foreach (var flag in new[] { "attention_bias", "mlp_bias" })
        {
            if (fields.Has(flag) && fields.Element(flag).ValueKind == JsonValueKind.True)
            {
                throw fields.Error(flag, $"{flag}: true is not supported (LLaMA projections have no bias)");
            }
        }

        var headDim = fields.Has("head_dim") && fields.Element("head_dim").ValueKind != JsonValueKind.Null
            ? fields.Int("head_dim", hidden / heads)
            : hidden / heads;
        return new TextConfig
        {
            HiddenSize = hidden,
            IntermediateSize = fields.Int("intermediate_size", 11008),
            NumLayers = fields.Int("num_hidden_layers", 32),
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = fields.Int("vocab_size", 32000),
            RmsNormEps = fields.Double("rms_norm_eps", 1e-6),
            RopeTheta = fields.Double("rope_theta", 10000.0),
            TieWordEmbeddings = fields.Bool("tie_word_embeddings", false),
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
