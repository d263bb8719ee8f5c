using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;

namespace DopCompiler.Model.Modules;

/// <summary>
/// Where a checkpoint keeps each module: LLaVA checkpoints come in two conventions (transformers before 4.52:
/// <c>language_model.model.layers...</c>; after: <c>model.language_model.layers...</c>) and plain LLaMA uses
/// <c>model.layers...</c>. Detected from the tensors present, so every layout loads through the same code.
/// </summary>
/// <remarks>
/// LLaVA-NeXT's <c>image_newline</c> [d] follows the same split: top-level <c>image_newline</c> before 4.52,
/// <c>model.image_newline</c> after (modeling_llava_next.py, <c>_checkpoint_conversion_mapping</c>:
/// <c>"^image_newline": "model.image_newline"</c>).
/// </remarks>
public sealed record TensorNaming(string Decoder, string LmHead, string Vision, string Projector, string ImageNewline)
{
    private static readonly TensorNaming[] Conventions =
    [
        new("language_model.model.", "language_model.lm_head.weight", "vision_tower.vision_model.", "multi_modal_projector.", "image_newline"),
        new("model.language_model.", "lm_head.weight", "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.image_newline"),
        new("model.", "lm_head.weight", "vision_tower.vision_model.", "multi_modal_projector.", "image_newline"),
    ];

    public string DecoderLayer(int layer, string rest) => $"{Decoder}layers.{layer}.{rest}";

    public string VisionLayer(int layer, string rest) => $"{Vision}encoder.layers.{layer}.{rest}";

    public static TensorNaming Detect(CheckpointTensors tensors, ModelConfig config)
    {
        foreach (var naming in Conventions)
        {
            if (tensors.Contains(naming.Decoder + "embed_tokens.weight")
                && (config.Vision is null || tensors.Contains(naming.Vision + "embeddings.patch_embedding.weight")))
            {
                return naming;
            }
        }

        throw new DopException(DiagnosticCodes.MissingTensor,
            $"the checkpoint in {tensors.Folder} follows no known tensor naming: expected 'language_model.model.embed_tokens.weight', "
            + "'model.language_model.embed_tokens.weight' or 'model.embed_tokens.weight'" + (config.Vision is null ? "" : " with a matching vision tower"),
            tensors.Folder);
    }
}
