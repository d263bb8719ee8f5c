using DopCompiler.Model.Checkpoints;
using ShapesVlm.Train.Modules;
using static TorchSharp.torch;

namespace ShapesVlm.Train;

/// <summary>Writes the Hugging Face style folder: config.json, preprocessor_config.json, model.safetensors (and a SigLIP + Qwen2 model's tokenizer_config.json).</summary>
internal static class Exporter
{
    public static void Export(LlavaForTraining model, string folder, string storage, IReadOnlyDictionary<string, string> metadata)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), model.Shape.ConfigJson(storage == "f32" ? "float32" : "bfloat16").ReplaceLineEndings("\n"));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), model.Shape.PreprocessorJson().ReplaceLineEndings("\n"));
        if (model.Shape.IsSiglipQwen2)
        {
            // The special tokens as a Qwen2 checkpoint declares them; vocab.json + merges.txt are the sample's own.
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), ModelShape.Qwen2TokenizerConfigJson().ReplaceLineEndings("\n"));
        }

        var dtype = storage switch
        {
            "bf16" => SafetensorsDType.BF16,
            "f32" => SafetensorsDType.F32,
            _ => throw new ArgumentException($"--storage {storage}: use bf16 or f32"),
        };
        var tensors = model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter));
        SafetensorsWriter.Write(Path.Combine(folder, CheckpointTensors.SingleFileName), tensors, dtype, metadata);
    }
}
