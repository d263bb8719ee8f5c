using System.Diagnostics;
using System.Globalization;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Text;
using DopCompiler.Spec;
using ShapesVlm.Data;
using ShapesVlm.Train.Modules;
using TorchSharp;
using static TorchSharp.torch;
using DopCompiler.Inputs.Images;

namespace ShapesVlm.Train;

/// <summary>The program's modes: train, evaluate the shipped folder, parity check.</summary>
internal static class Commands
{
    public static int Train(TrainingOptions options) => new Trainer(options).Run();

    /// <summary>
    /// Loads the shipped folder through <see cref="LlavaModel.Load"/> (the loader every LLaVA checkpoint goes through),
    /// preprocesses each PNG with the shipped preprocessor_config.json and decodes greedily; prints exact-match accuracy.
    /// </summary>
    public static int Evaluate(TrainingOptions options, string jsonlPath)
    {
        torch.set_num_threads(options.Threads);
        var clock = Stopwatch.StartNew();
        using var model = LlavaModel.Load(options.Out);
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(options.Out, "preprocessor_config.json"));
        var tokenizer = ShapesTokenizer.Load(options.Out);
        var folder = Path.GetDirectoryName(Path.GetFullPath(jsonlPath))!;
        var records = DatasetFiles.Read(jsonlPath);
        var results = new Dictionary<QuestionType, (int Right, int Total)>();
        var mistakes = new List<string>();
        foreach (var record in records)
        {
            using var scope = NewDisposeScope();
            var pixels = tensor(preprocessor.ToPixelValues(Path.Combine(folder, record.Image))).view(3, preprocessor.Height, preprocessor.Width);
            var (features, _) = model.EncodeImage(pixels);
            var embeddings = model.EmbedPrompt(tokenizer.EncodePrompt(record.Prompt), features, out _);
            var generated = GreedyDecoder.Generate(model, embeddings, plan: null, maxNewTokens: 4, eosTokenId: tokenizer.EosId);
            var answer = tokenizer.Decode(generated, skipSpecialTokens: true).Trim();
            var ok = answer == record.Answer;
            var (right, total) = results.GetValueOrDefault(record.Type);
            results[record.Type] = (right + (ok ? 1 : 0), total + 1);
            if (!ok && mistakes.Count < 12)
            {
                mistakes.Add($"  {record.Image}: {record.Prompt.Split('\n')[2]} expected '{record.Answer}', got '{answer}'");
            }
        }

        var allRight = results.Values.Sum(r => r.Right);
        var all = results.Values.Sum(r => r.Total);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{jsonlPath}: {100.0 * allRight / all:F1}% exact match ({allRight}/{all}), model {options.Out}, {clock.Elapsed.TotalSeconds:F0} s"));
        foreach (var (type, (right, total)) in results.OrderBy(r => r.Key))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {type,-8} {100.0 * right / total,5:F1}% ({right}/{total})"));
        }

        if (mistakes.Count > 0)
        {
            Console.WriteLine("first mistakes:");
            mistakes.ForEach(Console.WriteLine);
        }

        return 0;
    }

    /// <summary>
    /// Parity: the training module (from the training checkpoint, or a fresh seeded init when there is none) against
    /// <see cref="LlavaModel.Load"/> of (1) an fp32 export (logits, tight tolerance) and (2) the shipped folder (greedy answers).
    /// </summary>
    public static int Check(TrainingOptions options)
    {
        torch.set_num_threads(options.Threads);
        torch.manual_seed(options.Seed);
        var tokenizer = ShapesTokenizer.Load(options.Out);
        var shape = options.ModelShape(tokenizer);
        using var model = new LlavaForTraining(shape);
        var fromCheckpoint = File.Exists(Path.Combine(options.Checkpoint, CheckpointTensors.SingleFileName));
        if (fromCheckpoint)
        {
            using var tensors = CheckpointTensors.Open(options.Checkpoint);
            using var noGrad = no_grad();
            foreach (var (name, param) in model.named_parameters())
            {
                using var loaded = tensors.Load(name);
                param.copy_(loaded);
            }
        }

        Trainer.Log(fromCheckpoint ? $"training module from {options.Checkpoint}" : "no training checkpoint: training module with a fresh seeded init");
        var preprocessor = ImagePreprocessor.FromJson(shape.PreprocessorJson(), "preprocessor_config.json");
        var validation = HeldOutSet.Load(Path.Combine(options.Data, "validation.jsonl"), preprocessor);
        var encoder = new PromptEncoder(tokenizer);

        var f32Folder = Path.Combine(Path.GetTempPath(), $"shapesvlm-parity-{Environment.ProcessId}");
        Exporter.Export(model, f32Folder, "f32", new Dictionary<string, string>());
        foreach (var file in new[] { "vocab.json", "merges.txt" })
        {
            File.Copy(Path.Combine(options.Out, file), Path.Combine(f32Folder, file), overwrite: true);
        }

        var failures = 0;
        using (var loaded = LlavaModel.Load(f32Folder))
        {
            double worst = 0;
            for (var i = 0; i < 6; i++)
            {
                var (trainLogits, loaderLogits) = BothLogits(model, loaded, validation, encoder, tokenizer, i);
                using (trainLogits)
                using (loaderLogits)
                {
                    using var diff = (trainLogits - loaderLogits).abs().max();
                    using var scale = loaderLogits.abs().max();
                    var d = diff.item<float>();
                    worst = Math.Max(worst, d);
                    Trainer.Log(string.Create(CultureInfo.InvariantCulture,
                        $"fp32 parity sample {i}: {trainLogits.shape[0]} positions, max |logit diff| {d:E2} (max |logit| {scale.item<float>():F2})"));
                }
            }

            var pass = worst < 2e-3;
            failures += pass ? 0 : 1;
            Trainer.Log(string.Create(CultureInfo.InvariantCulture, $"fp32 export through LlavaModel.Load: worst max |diff| {worst:E2} -> {(pass ? "PASS" : "FAIL")} (tolerance 2e-3)"));
        }

        if (shape.IsSiglipQwen2)
        {
            failures += CheckQwen2Tokenizer(f32Folder, tokenizer, options.Data);
        }

        Directory.Delete(f32Folder, recursive: true);
        if (fromCheckpoint && File.Exists(Path.Combine(options.Out, CheckpointTensors.SingleFileName)))
        {
            using var shipped = LlavaModel.Load(options.Out);
            var agree = 0;
            double worst = 0;
            for (var i = 0; i < validation.Records.Count; i++)
            {
                var (trainLogits, loaderLogits) = BothLogits(model, shipped, validation, encoder, tokenizer, i);
                using (trainLogits)
                using (loaderLogits)
                {
                    using var a = trainLogits.argmax(-1);
                    using var b = loaderLogits.argmax(-1);
                    using var same = a.eq(b).all();
                    using var diff = (trainLogits - loaderLogits).abs().max();
                    agree += same.item<bool>() ? 1 : 0;
                    worst = Math.Max(worst, diff.item<float>());
                }
            }

            var pass = agree == validation.Records.Count;
            failures += pass ? 0 : 1;
            Trainer.Log(string.Create(CultureInfo.InvariantCulture,
                $"shipped {options.Out} (as stored, fp32 compute): argmax agrees at every answer position on {agree}/{validation.Records.Count} validation samples; max |logit diff| {worst:F3} -> {(pass ? "PASS" : "FAIL")}"));
        }

        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// The exported tokenizer files read as a Qwen2 checkpoint (<see cref="ModelTokenizer"/>: Qwen2's split regex and NFC,
    /// specials from tokenizer_config.json) must give the ids the model was trained on (<see cref="ShapesTokenizer"/>,
    /// GPT-2's split) for every held-out prompt and answer; returns 1 on a mismatch.
    /// </summary>
    private static int CheckQwen2Tokenizer(string folder, ShapesTokenizer trained, string data)
    {
        var qwen = ModelTokenizer.Load(folder);
        var records = new[] { "validation.jsonl", "test.jsonl" }.SelectMany(f => DatasetFiles.Read(Path.Combine(data, f))).ToList();
        var differ = records.Count(r => !qwen.EncodePrompt(r.Prompt).SequenceEqual(trained.EncodePrompt(r.Prompt))
            || !qwen.Encode(PromptTemplate.AnswerText(r.Answer)).SequenceEqual(trained.EncodeAnswer(r.Answer)[..^1]));
        Trainer.Log($"tokenizer_config.json (Qwen2Tokenizer) through ModelTokenizer: {records.Count - differ}/{records.Count} held-out prompts and answers encode as in training -> {(differ == 0 ? "PASS" : "FAIL")}");
        return differ == 0 ? 0 : 1;
    }

    /// <summary>Logits at the question + answer positions of validation sample <paramref name="i"/>: training module, then loader.</summary>
    private static (Tensor Train, Tensor Loader) BothLogits(LlavaForTraining model, LlavaModel loaded, HeldOutSet set, PromptEncoder encoder, ShapesTokenizer tokenizer, int i)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var host = set.Batch(encoder, i, 1);
        using var batch = host.ToTensors(model.Shape.ImageSize, tokenizer.PadId);
        var trainLogits = model.SuffixLogits(batch)[0]; // [S, V]

        var pixels = tensor(set.Pixels[i]).view(3, model.Shape.ImageSize, model.Shape.ImageSize);
        var (features, _) = loaded.EncodeImage(pixels);
        var record = set.Records[i];
        var answer = tokenizer.EncodeAnswer(record.Answer);
        int[] ids = [.. tokenizer.EncodePrompt(record.Prompt), .. answer[..^1]];
        var embeddings = loaded.EmbedPrompt(ids, features, out var segments);
        var suffixStart = host.PrefixIds.Length + model.Shape.NumPatches;
        var positions = Enumerable.Range(suffixStart, (int)embeddings.shape[0] - suffixStart).ToArray();
        var loaderLogits = loaded.ReferencePrefill(embeddings, positions);
        return (trainLogits.MoveToOuterDisposeScope(), loaderLogits.MoveToOuterDisposeScope());
    }
}
