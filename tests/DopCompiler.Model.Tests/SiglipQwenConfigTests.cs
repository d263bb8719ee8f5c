using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;

namespace DopCompiler.Model.Tests;

/// <summary>config.json of SigLIP towers and Qwen2 decoders: transformers' defaults for absent keys, coded errors for the rest.</summary>
public sealed class SiglipQwenConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private static TinyLlavaOptions Interleave => new() { VisionType = "siglip", TextType = "qwen2", VisionFeatureLayer = -1, FeatureStrategy = "full" };

    [Fact]
    public void ReadsTheInterleaveLayout()
    {
        var options = Interleave with { TieWordEmbeddings = true, RopeTheta = 1000000.0 };
        var config = Read(TinyLlavaCheckpoint.ConfigJson(options));
        Assert.True(config.Vision!.IsSiglip);
        Assert.False(config.Vision.HasClassToken);
        Assert.Equal("gelu_pytorch_tanh", config.Vision.HiddenAct);
        Assert.Equal(1e-6, config.Vision.LayerNormEps);
        Assert.Equal("qwen2", config.Text.ModelType);
        Assert.True(config.Text.QkvBias);
        Assert.True(config.Text.TieWordEmbeddings);
        Assert.Equal(1000000.0, config.Text.RopeTheta);
        Assert.Equal(options.VisionLayers, config.VisionLayersUsed);
        Assert.Equal(16, config.ImageTokensPerImage); // 4×4 patches, no [CLS], full
    }

    [Fact]
    public void AbsentKeysTakeTransformersDefaults()
    {
        // SiglipVisionConfig() and Qwen2Config() defaults; LlavaConfig's own for the top level.
        var config = Read("""{"model_type": "llava", "vision_config": {"model_type": "siglip_vision_model"}, "text_config": {"model_type": "qwen2"}}""");
        var v = config.Vision!;
        Assert.Equal((768, 3072, 12, 12, 224, 16, 1e-6, "gelu_pytorch_tanh"),
            (v.HiddenSize, v.IntermediateSize, v.NumLayers, v.NumHeads, v.ImageSize, v.PatchSize, v.LayerNormEps, v.HiddenAct));
        var t = config.Text;
        Assert.Equal((151936, 4096, 22016, 32, 32, 32, 1e-6, 10000.0, false),
            (t.VocabSize, t.HiddenSize, t.IntermediateSize, t.NumLayers, t.NumHeads, t.NumKeyValueHeads, t.RmsNormEps, t.RopeTheta, t.TieWordEmbeddings));
        Assert.Equal((32000, -2, FeatureSelectStrategy.Default), (config.ImageTokenIndex, config.VisionFeatureLayer, config.FeatureSelectStrategy));
        // default drops the first row even without a [CLS]: (224/16)² − 1.
        Assert.Equal(195, config.ImageTokensPerImage);
    }

    [Fact]
    public void AnImageSizeThatIsNoMultipleOfThePatchDropsTheRemainderLikeTheConvolution()
    {
        // SigLIP-so400m-patch14-384, llava-interleave-qwen's tower: 384 / 14 → 27 × 27 = 729 patches.
        var json = TinyLlavaCheckpoint.ConfigJson(Interleave).Replace("\"image_size\": 32,", "\"image_size\": 384,").Replace("\"patch_size\": 8,", "\"patch_size\": 14,");
        Assert.Equal(729, Read(json).ImageTokensPerImage);
    }

    [Fact]
    public void TopLevelTieWordEmbeddingsTiesTheHead()
    {
        var json = TinyLlavaCheckpoint.ConfigJson(Interleave).Replace("\"model_type\": \"llava\",", "\"model_type\": \"llava\", \"tie_word_embeddings\": true,");
        Assert.True(Read(json).Text.TieWordEmbeddings);
    }

    [Fact]
    public void TransformersFiveRopeParametersAreRead()
    {
        var json = TinyLlavaCheckpoint.ConfigJson(Interleave).Replace("\"rope_theta\": 10000.0,", "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000.0},");
        Assert.Equal(500000.0, Read(json).Text.RopeTheta);
    }

    [Theory]
    [InlineData("\"use_sliding_window\": false,", "\"use_sliding_window\": true,", "use_sliding_window")]
    [InlineData("\"rope_theta\": 10000.0,", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0},", "rope_scaling")]
    [InlineData("\"rope_theta\": 10000.0,", "\"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 4.0},", "rope_type")]
    [InlineData("\"hidden_act\": \"silu\",", "\"hidden_act\": \"gelu\",", "hidden_act")]
    [InlineData("\"model_type\": \"qwen2\",", "\"model_type\": \"qwen2\", \"attention_bias\": true,", "attention_bias")]
    [InlineData("\"hidden_act\": \"gelu_pytorch_tanh\",", "\"hidden_act\": \"relu\",", "hidden_act")]
    [InlineData("\"image_token_index\":", "\"multimodal_projector_bias\": false, \"image_token_index\":", "multimodal_projector_bias")]
    public void UnsupportedKeysAreDop004NamingTheKey(string find, string replace, string key)
    {
        var json = TinyLlavaCheckpoint.ConfigJson(Interleave);
        Assert.Contains(find, json);
        var error = Assert.Throws<DopException>(() => Read(json.Replace(find, replace)));
        Assert.Equal("DOP004", error.Code);
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("\"model_type\": \"siglip_vision_model\"", "\"model_type\": \"pixtral\"", "pixtral")]
    [InlineData("\"model_type\": \"qwen2\"", "\"model_type\": \"gemma\"", "gemma")]
    public void UnsupportedTowersAndDecodersNameWhatIsSupported(string find, string replace, string named)
    {
        var json = TinyLlavaCheckpoint.ConfigJson(Interleave);
        var error = Assert.Throws<DopException>(() => Read(json.Replace(find, replace)));
        Assert.Equal("DOP004", error.Code);
        Assert.Contains(named, error.Message);
        Assert.Contains("siglip_vision_model", error.Message);
        Assert.Contains("qwen2", error.Message);
    }

    [Fact]
    public void PlainQwen2DecoderLoads()
    {
        File.WriteAllText(_temp.File("config.json"), """
            {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4,
             "num_key_value_heads": 2, "vocab_size": 96, "tie_word_embeddings": true}
            """);
        var options = new TinyLlavaOptions { TextType = "qwen2", TieWordEmbeddings = true, Naming = "new" };
        var tensors = TinyLlavaCheckpoint.Tensors(options);
        var decoder = tensors.Where(t => t.Key.StartsWith("model.language_model.", StringComparison.Ordinal))
            .ToDictionary(t => t.Key.Replace("model.language_model.", "model."), t => t.Value);
        Checkpoints.SafetensorsWriter.Write(_temp.File("model.safetensors"), decoder);
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }

        using var model = LlavaModel.Load(_temp.Path);
        Assert.Equal(["model.embed_tokens.weight"], model.LmHead.SourceNames); // tied: the LM head reads the embedding table
        Assert.NotNull(model.Layers[0].QkvBias);
        using var embeddings = model.EmbedPrompt([1, 2, 3], null, out _);
        using var logits = model.ReferencePrefill(embeddings, [2]);
        Assert.Equal(new long[] { 1, 96 }, logits.shape);
    }

    [Fact]
    public void MissingQwenBiasIsDop003NamingIt()
    {
        TinyLlavaCheckpoint.Write(_temp.Path, Interleave with { TextType = "llama" });
        File.WriteAllText(_temp.File("config.json"), TinyLlavaCheckpoint.ConfigJson(Interleave));
        var error = Assert.Throws<DopException>(() => LlavaModel.Load(_temp.Path));
        Assert.Equal("DOP003", error.Code);
        Assert.Contains("q_proj.bias", error.Message);
    }

    public void Dispose() => _temp.Dispose();

    private ModelConfig Read(string json)
    {
        File.WriteAllText(_temp.File("config.json"), json);
        return ModelConfigReader.Read(_temp.Path);
    }
}
