using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;

namespace DopCompiler.Model.Checkpoints;

/// <summary>
/// A checkpoint folder holding only what a specialised model reads: config, preprocessing and tokenizer files copied,
/// and one <c>model.safetensors</c> with the tensors <see cref="TensorsRead"/> lists, each in its stored dtype (bytes copied,
/// not converted). Its <c>__metadata__</c> records the source model's hash and the policy's spec hash, so a loader can
/// check it belongs to its policy without hashing the weights, and a rebuild can skip rewriting it.
/// </summary>
/// <remarks>
/// Left out: vision encoder layers at or beyond <see cref="ModelConfig.VisionLayersUsed"/> (LLaVA takes its features from
/// an earlier hidden state) and the vision <c>post_layernorm</c> (applied only to <c>last_hidden_state</c>, never to the
/// <c>hidden_states</c> entry LLaVA reads; see <see cref="VisionTower"/>), and SigLIP's attention-pooling head; any
/// other tensor the loader never reads (e.g. rotary caches); and the decoder modules the <c>modulesPerLayer</c> callback
/// says are never run. No TorchSharp is needed.
/// </remarks>
public static class TrimmedCheckpoint
{
    public const string SourceModelHashKey = "dop_source_model_hash";
    public const string PolicyHashKey = "dop_policy_hash";

    /// <summary>
    /// The source model's hash a trimmed checkpoint in <paramref name="modelFolder"/> records (one header read), or null
    /// when the folder holds no trimmed checkpoint. One home for the rule "a trimmed model counts as the model it was made
    /// from", used by the generated classes' identity check and the CLI's policy reader.
    /// </summary>
    public static string? SourceModelHashOf(string modelFolder)
    {
        var single = Path.Combine(modelFolder, CheckpointTensors.SingleFileName);
        if (!File.Exists(single))
        {
            return null;
        }

        using var file = SafetensorsFile.Open(single);
        return file.Metadata.TryGetValue(SourceModelHashKey, out var recorded) && !string.IsNullOrWhiteSpace(recorded) ? recorded : null;
    }

    /// <summary>Files copied as they are when the source has them (config, image preprocessing, tokenizer, generation settings).</summary>
    public static readonly IReadOnlyList<string> CopiedFiles =
    [
        "config.json", "preprocessor_config.json", "generation_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
        "tokenizer_config.json", "tokenizer.model", "tokenizer.json", "added_tokens.json",
    ];

    /// <summary>
    /// Names of the tensors <see cref="LlavaModel.Load"/> reads from a checkpoint for <paramref name="modulesPerLayer"/>
    /// (default: every decoder module), in ordinal order. This is exactly what a generated class loads.
    /// </summary>
    public static IReadOnlyList<string> TensorsRead(CheckpointTensors tensors, ModelConfig config, Func<int, LayerModules>? modulesPerLayer = null)
    {
        var naming = TensorNaming.Detect(tensors, config);
        var names = new List<string> { naming.Decoder + "embed_tokens.weight", naming.Decoder + "norm.weight" };
        if (!(config.Text.TieWordEmbeddings && !tensors.Contains(naming.LmHead)))
        {
            names.Add(naming.LmHead);
        }

        for (var layer = 0; layer < config.Text.NumLayers; layer++)
        {
            var modules = modulesPerLayer?.Invoke(layer) ?? LayerModules.All;
            if (modules.HasFlag(LayerModules.Attention))
            {
                names.AddRange(new[] { "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight" }
                    .Select(rest => naming.DecoderLayer(layer, rest)));
                if (config.Text.QkvBias)
                {
                    names.AddRange(new[] { "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias" }.Select(rest => naming.DecoderLayer(layer, rest)));
                }
            }

            if (modules.HasFlag(LayerModules.Mlp))
            {
                names.AddRange(new[] { "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight" }
                    .Select(rest => naming.DecoderLayer(layer, rest)));
            }
        }

        if (config.Vision is not null)
        {
            var v = naming.Vision;
            names.AddRange([v + "embeddings.patch_embedding.weight", v + "embeddings.position_embedding.weight"]);
            names.AddRange(config.Vision.HasClassToken
                ? [v + "embeddings.class_embedding", v + "pre_layrnorm.weight", v + "pre_layrnorm.bias"]
                : [v + "embeddings.patch_embedding.bias"]);
            for (var layer = 0; layer < config.VisionLayersUsed; layer++)
            {
                foreach (var rest in new[]
                         {
                             "layer_norm1.weight", "layer_norm1.bias", "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight",
                             "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                             "layer_norm2.weight", "layer_norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
                         })
                {
                    names.Add(naming.VisionLayer(layer, rest));
                }
            }

            names.AddRange(new[] { "linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias" }.Select(rest => naming.Projector + rest));
            if (config.IsAnyres)
            {
                // The row separator LLaVA-NeXT / OneVision append to every row of the tile grid (pack_image_features).
                names.Add(naming.ImageNewline);
            }
        }

        return names.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The trimmed folder already holds a checkpoint made from this source model for this policy.</summary>
    public static bool IsUpToDate(string outFolder, string sourceModelHash, string policyHash)
    {
        var weights = Path.Combine(outFolder, CheckpointTensors.SingleFileName);
        if (!File.Exists(weights) || !File.Exists(Path.Combine(outFolder, "config.json")))
        {
            return false;
        }

        try
        {
            using var file = SafetensorsFile.Open(weights);
            return file.Metadata.TryGetValue(SourceModelHashKey, out var model) && model == sourceModelHash
                && file.Metadata.TryGetValue(PolicyHashKey, out var policy) && policy == policyHash;
        }
        catch (DopException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the trimmed checkpoint of <paramref name="sourceFolder"/> into <paramref name="outFolder"/> (replacing it
    /// atomically: built in a temp folder beside it, then renamed), unless it is already up to date.
    /// </summary>
    public static TrimResult Write(string sourceFolder, string outFolder, string sourceModelHash, string policyHash,
        Func<int, LayerModules>? modulesPerLayer = null, CancellationToken cancellation = default)
    {
        outFolder = Path.GetFullPath(outFolder).TrimEnd(Path.DirectorySeparatorChar);
        var config = ModelConfigReader.Read(sourceFolder);
        using var tensors = CheckpointTensors.Open(sourceFolder);
        var kept = TensorsRead(tensors, config, modulesPerLayer);
        foreach (var name in kept)
        {
            if (!tensors.Contains(name))
            {
                throw new DopException(DiagnosticCodes.MissingTensor, $"the checkpoint in {sourceFolder} has no tensor '{name}'", sourceFolder);
            }
        }

        var keptSet = kept.ToHashSet(StringComparer.Ordinal);
        var leftOut = tensors.Names.Where(n => !keptSet.Contains(n)).ToArray();
        var sourceBytes = tensors.Files.Sum(f => f.FileLength);
        var target = Path.Combine(outFolder, CheckpointTensors.SingleFileName);
        if (IsUpToDate(outFolder, sourceModelHash, policyHash))
        {
            return new TrimResult(true, kept, leftOut, sourceBytes, new FileInfo(target).Length);
        }

        var parent = Path.GetDirectoryName(outFolder)!;
        Directory.CreateDirectory(parent);
        var temp = outFolder + $".{Environment.ProcessId}.tmp";
        var old = outFolder + $".{Environment.ProcessId}.old";
        try
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            Directory.CreateDirectory(temp);
            foreach (var file in CopiedFiles)
            {
                var source = Path.Combine(sourceFolder, file);
                if (File.Exists(source))
                {
                    RegularFiles.Check(source);
                    File.Copy(source, Path.Combine(temp, file));
                }
            }

            var metadata = new Dictionary<string, string> { [SourceModelHashKey] = sourceModelHash, [PolicyHashKey] = policyHash };
            var raw = kept.Select(name =>
            {
                var entry = tensors.Entry(name);
                return new RawTensor(name, entry.DType, entry.Shape, entry.ByteLength, stream =>
                {
                    cancellation.ThrowIfCancellationRequested();
                    tensors.CopyRaw(name, stream);
                });
            });
            SafetensorsWriter.WriteRaw(Path.Combine(temp, CheckpointTensors.SingleFileName), raw, metadata);

            if (Directory.Exists(outFolder))
            {
                Directory.Move(outFolder, old);
            }

            Directory.Move(temp, outFolder);
        }
        finally
        {
            foreach (var leftover in new[] { temp, old })
            {
                if (Directory.Exists(leftover))
                {
                    Directory.Delete(leftover, recursive: true);
                }
            }
        }

        return new TrimResult(false, kept, leftOut, sourceBytes, new FileInfo(target).Length);
    }
}
