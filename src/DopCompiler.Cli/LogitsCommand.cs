using System.CommandLine;
using DopCompiler.Inputs.Images;
using DopCompiler.Model;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Tensors;
using DopCompiler.Model.Text;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.Search.Evaluation;
using DopCompiler.Spec;

namespace DopCompiler.Cli;

/// <summary><c>dop logits</c>: last-position logits as a .npy file, for parity checks against other implementations.</summary>
public static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder.", Required = true };
        var image = new Option<string?>("--image") { Description = "Image file (PNG/JPEG)." };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (tokenized with the model's tokenizer; <image> marks the image)." };
        var ids = new Option<string?>("--ids") { Description = "Comma-separated token ids instead of --prompt." };
        var policy = new Option<string?>("--policy") { Description = "Policy file: prune as it says." };
        var output = new Option<string>("--out") { Description = "The .npy file to write (float32, shape [vocab]).", Required = true };
        // fp32 unless asked: this command exists for parity checks against other implementations.
        var precision = PrecisionOption.Create("fp32");
        var command = new Command("logits", "Write the last prompt position's logits as a NumPy .npy file.") { model, image, prompt, ids, policy, output, precision };
        command.SetAction(result => CommandGuard.Run(_ =>
        {
            var folder = result.GetValue(model)!;
            var promptText = result.GetValue(prompt);
            var idText = result.GetValue(ids);
            if ((promptText is null) == (idText is null))
            {
                throw new DopException(DiagnosticCodes.Usage, "give exactly one of --prompt and --ids");
            }

            var imagePath = result.GetValue(image);
            using var llava = LlavaModel.Load(folder, PrecisionOption.Resolve(result.GetValue(precision)!));
            var document = result.GetValue(policy) is { } policyPath ? PolicyFileReader.ReadFor(policyPath, folder, llava.Config) : null;
            var preprocessor = imagePath is null ? null : ImagePreprocessor.FromFile(Path.Combine(folder, "preprocessor_config.json"), llava.Config.Vision?.ImageSize);
            var tokenIds = idText is not null
                ? idText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.TryParse(s, out var v) ? v : throw new DopException(DiagnosticCodes.Usage, $"--ids: '{s}' is not an integer")).ToArray()
                : ModelTokenizer.Load(folder).EncodePrompt(promptText!);
            using var sample = PromptSample.Create(llava, preprocessor, DatasetEvaluator.GroupsOf(document), imagePath, tokenIds);
            var depthPolicy = document is null ? DepthPolicy.Empty : PolicyDocumentFactory.ToDepthPolicy(document);
            using var plan = sample.Plan(llava, depthPolicy);
            using var logits = document is null
                ? llava.ReferencePrefill(sample.Embeddings, [sample.LastPosition])
                : PrunedForward.Prefill(llava, sample.Embeddings, plan);
            NpyWriter.Write(result.GetValue(output)!, logits[0].ToHostFloats());
            Console.Error.WriteLine($"dop: wrote {logits.shape[1]} logits to {result.GetValue(output)}");
            return ExitCodes.Success;
        }, CancellationToken.None));
        return command;
    }
}
