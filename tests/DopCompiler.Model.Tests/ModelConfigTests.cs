using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

public sealed class ModelConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public void ReadsLlavaConfig()
    {
        var options = new TinyLlavaOptions();
        File.WriteAllText(_temp.File("config.json"), TinyLlavaCheckpoint.ConfigJson(options));
        var config = ModelConfigReader.Read(_temp.Path);
        Assert.Equal("llava", config.ModelType);
        Assert.Equal(options.Layers, config.Text.NumLayers);
        Assert.Equal(options.KeyValueHeads, config.Text.NumKeyValueHeads);
        Assert.Equal(options.Hidden / options.Heads, config.Text.HeadDim);
        Assert.Equal(options.ImageTokenIndex, config.ImageTokenIndex);
        Assert.Equal(options.VisionLayers - 1, config.VisionLayersUsed);
        Assert.Equal(16, config.ImageTokensPerImage);
    }

    [Theory]
    [InlineData("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0},", "rope_scaling")]
    [InlineData("\"attention_bias\": true,", "attention_bias")]
    [InlineData("\"hidden_act\": \"gelu\",", "hidden_act")]
    public void UnsupportedTextFieldsAreDop004(string field, string named)
    {
        var json = TinyLlavaCheckpoint.ConfigJson(new TinyLlavaOptions()).Replace("\"model_type\": \"llama\",", "\"model_type\": \"llama\", " + field);
        json = field.Contains("hidden_act") ? json.Replace("\"hidden_act\": \"silu\",", "") : json;
        File.WriteAllText(_temp.File("config.json"), json);
        var error = Assert.Throws<DopException>(() => ModelConfigReader.Read(_temp.Path));
        Assert.Equal("DOP004", error.Code);
        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData("{\"model_type\": \"mistral\"}", "mistral")]
    [InlineData("{\"model_type\": \"llava\"}", "text_config")]
    [InlineData("{\"model_type\": ", "JSON")]
    public void BadConfigsAreClearErrors(string json, string named)
    {
        File.WriteAllText(_temp.File("config.json"), json);
        var error = Assert.Throws<DopException>(() => ModelConfigReader.Read(_temp.Path));
        Assert.Contains(named, error.Message);
        Assert.StartsWith("DOP00", error.Code);
    }

    [Fact]
    public void PlainLlamaConfigLoadsAndRuns()
    {
        var options = new TinyLlavaOptions { Naming = "new" };
        using var tensors = new DisposableTensors(TinyLlavaCheckpoint.Tensors(options));
        var llama = tensors.Map.Where(t => t.Key.StartsWith("model.language_model.", StringComparison.Ordinal) || t.Key == "lm_head.weight")
            .ToDictionary(t => t.Key.Replace("model.language_model.", "model."), t => t.Value);
        Model.Checkpoints.SafetensorsWriter.Write(_temp.File("model.safetensors"), llama);
        File.WriteAllText(_temp.File("config.json"), """
            {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4,
             "num_key_value_heads": 2, "vocab_size": 96, "rms_norm_eps": 1e-5, "rope_theta": 10000.0}
            """);
        using var model = LlavaModel.Load(_temp.Path);
        Assert.Null(model.Vision);
        using var embeddings = model.EmbedPrompt([1, 2, 3], null, out var segments);
        Assert.Equal(3, segments.TextLength);
        using var logits = model.ReferencePrefill(embeddings, [2]);
        Assert.Equal(new long[] { 1, 96 }, logits.shape);
    }

    [Fact]
    public void BothLlavaTensorNamingsGiveTheSameLogits()
    {
        using var oldNames = new TempFolder();
        using var newNames = new TempFolder();
        TinyLlavaCheckpoint.Write(oldNames.Path, new TinyLlavaOptions { Naming = "old" });
        TinyLlavaCheckpoint.Write(newNames.Path, new TinyLlavaOptions { Naming = "new" }, shards: 3);
        using var a = LlavaModel.Load(oldNames.Path);
        using var b = LlavaModel.Load(newNames.Path);
        Assert.Equal("language_model.model.", a.Naming.Decoder);
        Assert.Equal("model.language_model.", b.Naming.Decoder);
        using var pixels = rand(3, 32, 32);
        using var la = Logits(a, pixels);
        using var lb = Logits(b, pixels);
        // Not bit-identical: weights sit at other offsets in other files, and the matrix kernels' blocking follows alignment.
        Assert.True(la.allclose(lb, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void WrongTensorShapeIsDop003()
    {
        TinyLlavaCheckpoint.Write(_temp.Path, new TinyLlavaOptions());
        var json = File.ReadAllText(_temp.File("config.json")).Replace("\"intermediate_size\": 128", "\"intermediate_size\": 256");
        File.WriteAllText(_temp.File("config.json"), json);
        var error = Assert.Throws<DopException>(() => LlavaModel.Load(_temp.Path));
        Assert.Equal("DOP003", error.Code);
        Assert.Contains("gate/up_proj", error.Message);
    }

    public void Dispose() => _temp.Dispose();

    private static Tensor Logits(LlavaModel model, Tensor pixels)
    {
        var (features, cls) = model.EncodeImage(pixels);
        using var f = features;
        using var c = cls;
        using var embeddings = model.EmbedPrompt([1, 2, 95, 4, 5], f, out var segments);
        return model.ReferencePrefill(embeddings, [segments.Length - 1]);
    }

    private sealed class DisposableTensors(Dictionary<string, Tensor> map) : IDisposable
    {
        public Dictionary<string, Tensor> Map { get; } = map;

        public void Dispose()
        {
            foreach (var t in Map.Values)
            {
                t.Dispose();
            }
        }
    }
}
