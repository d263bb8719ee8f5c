using DopCompiler.Inputs.Images;
using DopCompiler.Model;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using static TorchSharp.torch;

namespace DopCompiler.Search.Evaluation;

/// <summary>An image file through the checkpoint's processor and vision tower: what the search, eval and logits feed the decoder.</summary>
public static class ImageInput
{
    /// <summary>
    /// Projected features [N, d], the [CLS] attention (empty on SigLIP and on tiled images) and, on anyres models, where
    /// the N tokens lie (<see cref="ImageTokenGrid"/>; N differs per image size). The tensors belong to the caller's scope.
    /// </summary>
    /// <exception cref="DopException">DOP004 when preprocessor_config.json does not fit config.json.</exception>
    public static (Tensor Features, Tensor ClsAttention, ImageTokenGrid? Grid) Encode(LlavaModel model, ImagePreprocessor preprocessor, string imagePath)
    {
        if (preprocessor.MismatchWith(model.Config.ImageGridPinpoints, model.Config.ModelType) is { } problem)
        {
            throw new DopException(DiagnosticCodes.ModelConfig, problem, Path.Combine(model.Folder, "preprocessor_config.json"));
        }

        var image = preprocessor.Preprocess(imagePath);
        using var pixels = tensor(image.Pixels).reshape(image.Count, 3, image.Height, image.Width);
        var (features, cls) = model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
        return (features, cls, ImageTokenGrid.Of(model.Config, image.ImageHeight, image.ImageWidth));
    }
}
