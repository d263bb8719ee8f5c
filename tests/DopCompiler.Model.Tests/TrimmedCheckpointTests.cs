using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.TestFixtures;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests;

/// <summary>The trimmed checkpoint: exactly the tensors a generated class reads, same bytes, same answers.</summary>
public sealed class TrimmedCheckpointTests(ITestOutputHelper output)
{
    private const string SourceHash = "source-model-hash";
    private const string PolicyHash = "policy-spec-hash";

    /// <summary>VisionLayers = 2 with feature layer -2: layer 1 and post_layernorm are never run.</summary>
    private static string[] ExpectedLeftOut(string vision = "vision_tower.vision_model.") =>
    [
        .. new[]
        {
            "layer_norm1.weight", "layer_norm1.bias", "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
            "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias", "layer_norm2.weight", "layer_norm2.bias",
            "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
        }.Select(rest => vision + "encoder.layers.1." + rest),
        vision + "post_layernorm.weight",
        vision + "post_layernorm.bias",
    ];

    [Theory]
    [InlineData(SafetensorsDType.F32, 1)]
    [InlineData(SafetensorsDType.BF16, 1)]
    [InlineData(SafetensorsDType.F32, 3)]
    public void TrimmedFileLeavesOutExactlyTheUnreadTensorsAndKeepsTheirBytes(SafetensorsDType storage, int shards)
    {
        using var folder = new TempFolder();
        var options = TinySearchProject.DefaultOptions; // a vocabulary large enough for the fixture tokenizer
        var source = TinyLlavaCheckpoint.Write(Path.Combine(folder.Path, "full"), options, storage, shards);
        TinyTokenizer.Write(source, options.ImageTokenIndex);
        var trimmed = Path.Combine(folder.Path, "trimmed");

        var result = TrimmedCheckpoint.Write(source, trimmed, SourceHash, PolicyHash);

        Assert.False(result.UpToDate);
        Assert.Equal(ExpectedLeftOut().Order(StringComparer.Ordinal), result.LeftOut.Order(StringComparer.Ordinal));
        using var full = CheckpointTensors.Open(source);
        using var file = SafetensorsFile.Open(Path.Combine(trimmed, "model.safetensors"));
        Assert.Equal(full.Names.Except(ExpectedLeftOut()).Order(StringComparer.Ordinal), file.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SourceHash, file.Metadata[TrimmedCheckpoint.SourceModelHashKey]);
        Assert.Equal(PolicyHash, file.Metadata[TrimmedCheckpoint.PolicyHashKey]);

        // The data section shrinks by exactly the left-out tensors' bytes; every kept tensor keeps its dtype, shape and bytes.
        var fullData = full.Files.Sum(f => f.FileLength - f.DataStart);
        var leftOutBytes = ExpectedLeftOut().Sum(n => full.Entry(n).ByteLength);
        Assert.Equal(fullData - leftOutBytes, file.FileLength - file.DataStart);
        foreach (var (name, entry) in file.Tensors)
        {
            var original = full.Entry(name);
            Assert.Equal(original.DType, entry.DType);
            Assert.Equal(original.Shape, entry.Shape);
            using var a = new MemoryStream();
            using var b = new MemoryStream();
            full.CopyRaw(name, a);
            file.CopyRaw(name, b);
            Assert.Equal(a.ToArray(), b.ToArray());
        }

        // Config, preprocessing and tokenizer files are copied; nothing else.
        Assert.True(File.Exists(Path.Combine(source, "vocab.json")));
        Assert.Equal(
            TrimmedCheckpoint.CopiedFiles.Where(f => File.Exists(Path.Combine(source, f))).Append("model.safetensors").Order(StringComparer.Ordinal),
            Directory.GetFiles(trimmed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));
        foreach (var copied in TrimmedCheckpoint.CopiedFiles.Where(f => File.Exists(Path.Combine(source, f))))
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, copied)), File.ReadAllBytes(Path.Combine(trimmed, copied)));
        }
        Assert.DoesNotContain(Directory.GetDirectories(folder.Path), d => d.EndsWith(".tmp", StringComparison.Ordinal) || d.EndsWith(".old", StringComparison.Ordinal));
        output.WriteLine($"{storage}, {shards} shard(s): source {result.SourceBytes} bytes, trimmed {result.TrimmedBytes} bytes, {result.LeftOut.Count} tensors left out ({leftOutBytes} bytes)");
    }

    [Fact]
    public void TrimmedCheckpointGivesIdenticalLogits()
    {
        using var folder = new TempFolder();
        var source = TinyLlavaCheckpoint.Write(Path.Combine(folder.Path, "full"));
        var trimmed = Path.Combine(folder.Path, "trimmed");
        TrimmedCheckpoint.Write(source, trimmed, SourceHash, PolicyHash);

        float[] Logits(string modelFolder)
        {
            using var model = LlavaModel.Load(modelFolder);
            using var scope = NewDisposeScope();
            var generator = new Generator(0).manual_seed(11);
            var pixels = rand([3, 32, 32], generator: generator);
            var (features, _) = model.EncodeImage(pixels);
            var ids = new[] { 1, 5, 9, 12, new TinyLlavaOptions().ImageTokenIndex, 20, 31, 7, 44, 3 };
            var embeddings = model.EmbedPrompt(ids, features, out var segments);
            using var logits = model.ReferencePrefill(embeddings, Enumerable.Range(0, segments.Length).ToArray());
            return logits.data<float>().ToArray();
        }

        Assert.Equal(Logits(source), Logits(trimmed));
    }

    [Fact]
    public void UpToDateFolderIsLeftAloneAndANewPolicyRewritesIt()
    {
        using var folder = new TempFolder();
        var source = TinyLlavaCheckpoint.Write(Path.Combine(folder.Path, "full"));
        var trimmed = Path.Combine(folder.Path, "trimmed");
        TrimmedCheckpoint.Write(source, trimmed, SourceHash, PolicyHash);
        var weights = Path.Combine(trimmed, "model.safetensors");
        var written = File.GetLastWriteTimeUtc(weights);
        File.SetLastWriteTimeUtc(weights, written.AddMinutes(-5));

        Assert.True(TrimmedCheckpoint.Write(source, trimmed, SourceHash, PolicyHash).UpToDate);
        Assert.Equal(written.AddMinutes(-5), File.GetLastWriteTimeUtc(weights));

        var rewritten = TrimmedCheckpoint.Write(source, trimmed, SourceHash, "another-policy");
        Assert.False(rewritten.UpToDate);
        using var file = SafetensorsFile.Open(weights);
        Assert.Equal("another-policy", file.Metadata[TrimmedCheckpoint.PolicyHashKey]);
    }

    [Fact]
    public void DecoderModulesAPolicyNeverRunsAreLeftOutToo()
    {
        using var folder = new TempFolder();
        var source = TinyLlavaCheckpoint.Write(Path.Combine(folder.Path, "full"));
        var trimmed = Path.Combine(folder.Path, "trimmed");
        var result = TrimmedCheckpoint.Write(source, trimmed, SourceHash, PolicyHash, layer => layer == 3 ? LayerModules.Attention : LayerModules.All);
        var mlp = new[] { "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight" }
            .Select(rest => "language_model.model.layers.3." + rest);
        Assert.Equal(ExpectedLeftOut().Concat(mlp).Order(StringComparer.Ordinal), result.LeftOut.Order(StringComparer.Ordinal));
        using var model = LlavaModel.Load(trimmed, modulesPerLayer: layer => layer == 3 ? LayerModules.Attention : LayerModules.All);
        Assert.False(model.Layers[3].HasMlp);
    }
}
