using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Spec;
using ShapesVlm.Data;
using ShapesVlm.Train.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapesVlm.Train;

/// <summary>The training loop: warmup + cosine AdamW on the answer tokens, logs, validation, checkpoints, export.</summary>
internal sealed class Trainer(TrainingOptions options)
{
    private const string StateFile = "state.json";

    public int Run()
    {
        torch.set_num_threads(options.Threads);
        torch.manual_seed(options.Seed);
        var tokenizer = ShapesTokenizer.Load(options.Out);
        var shape = ModelShape.Preset(options.Size) with { Vocab = tokenizer.VocabSize, ImageTokenIndex = tokenizer.ImageTokenId };
        var heldOut = HeldOut(options);
        var batches = new TrainingBatches(tokenizer, (ulong)options.Seed, heldOut, options.ImagesPerBatch, options.QuestionsPerImage);
        var encoder = new PromptEncoder(tokenizer);
        var preprocessor = ImagePreprocessor.FromJson(shape.PreprocessorJson(), "preprocessor_config.json");
        var validation = HeldOutSet.Load(Path.Combine(options.Data, "validation.jsonl"), preprocessor);

        using var model = new LlavaForTraining(shape);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        var count = model.parameters().Sum(p => p.numel());
        Log($"model: size {options.Size}, {count:N0} parameters; decoder d={shape.Hidden} L={shape.Layers} H={shape.Heads}/{shape.KeyValueHeads} "
            + $"mlp={shape.Intermediate}; vision d={shape.VisionHidden} L={shape.VisionLayers} H={shape.VisionHeads} mlp={shape.VisionIntermediate}; "
            + $"{shape.NumPatches} image tokens; threads {torch.get_num_threads()}");
        Log($"schedule: {options.Steps} steps x {options.ImagesPerBatch} images (<= {options.QuestionsPerImage} questions each), lr {options.LearningRate} "
            + $"warmup {options.WarmupSteps}, cosine to {options.MinLearningRateRatio}x, wd {options.WeightDecay}, clip {options.GradClip}, limit {options.Minutes} min");
        using var optimizer = new AdamW(trainable, options.WeightDecay);

        long step = 0;
        double previousSeconds = 0;
        if (options.Resume && File.Exists(Path.Combine(options.Checkpoint, StateFile)))
        {
            (step, previousSeconds) = LoadCheckpoint(model, optimizer);
            Log($"resumed at step {step} ({previousSeconds / 60:F1} min already trained)");
        }

        var clock = Stopwatch.StartNew();
        double Elapsed() => previousSeconds + clock.Elapsed.TotalSeconds;
        var lastValidation = Elapsed();
        var lastCheckpoint = Elapsed();
        var windowClock = Stopwatch.StartNew();
        double windowLoss = 0;
        long windowQuestions = 0, windowSteps = 0;
        var stepsAtStart = step;
        var stoppedEarly = false;
        double lastLoss = double.NaN;
        while (step < options.Steps)
        {
            if (Elapsed() > options.Minutes * 60)
            {
                Log($"time limit of {options.Minutes} min reached at step {step}/{options.Steps}: stopping early");
                stoppedEarly = true;
                break;
            }

            var lr = LearningRate(step);
            var host = batches.Get(options.OverfitOneBatch ? 0 : step); // --overfit-one-batch: a quick check that the image path learns
            using (var scope = NewDisposeScope())
            {
                using var batch = host.ToTensors(shape.ImageSize, tokenizer.PadId);
                var logits = model.AnswerLogits(batch);
                var loss = nn.functional.cross_entropy(logits, batch.Targets);
                loss.backward();
                optimizer.ClipGradients(options.GradClip);
                optimizer.Step(lr);
                optimizer.ZeroGrad();
                windowLoss += loss.item<float>();
            }

            step++;
            windowSteps++;
            windowQuestions += host.Questions.Count;
            if (step % options.LogEvery == 0 || step == options.Steps)
            {
                var seconds = windowClock.Elapsed.TotalSeconds;
                var perStep = (Elapsed() - previousSeconds) / (step - stepsAtStart);
                var eta = TimeSpan.FromSeconds(perStep * (options.Steps - step));
                lastLoss = windowLoss / windowSteps;
                Log(string.Create(CultureInfo.InvariantCulture,
                    $"step {step}/{options.Steps} loss {lastLoss:F4} lr {lr:E2} {windowQuestions / seconds:F1} q/s {windowSteps * options.ImagesPerBatch / seconds:F1} img/s "
                    + $"elapsed {TimeSpan.FromSeconds(Elapsed()):hh\\:mm\\:ss} eta {eta:hh\\:mm\\:ss}"));
                windowLoss = 0;
                windowQuestions = 0;
                windowSteps = 0;
                windowClock.Restart();
            }

            if (options.BenchSteps > 0 && step - stepsAtStart >= options.BenchSteps)
            {
                Log(string.Create(CultureInfo.InvariantCulture, $"bench: {(Elapsed() - previousSeconds) / (step - stepsAtStart):F3} s/step over {step - stepsAtStart} steps"));
                return 0;
            }

            if (Elapsed() - lastValidation > options.ValidateEveryMinutes * 60)
            {
                Log($"validation @ step {step}: {QuickAccuracy(model, validation, encoder, shape, tokenizer.PadId)}");
                lastValidation = Elapsed();
            }

            if (Elapsed() - lastCheckpoint > options.CheckpointEveryMinutes * 60)
            {
                SaveCheckpoint(model, optimizer, step, Elapsed());
                lastCheckpoint = Elapsed();
            }
        }

        SaveCheckpoint(model, optimizer, step, Elapsed());
        Log($"training done: step {step}, {TimeSpan.FromSeconds(Elapsed()):hh\\:mm\\:ss} of training, last logged loss {lastLoss:F4}{(stoppedEarly ? " (stopped by the time limit)" : "")}");
        Log($"validation (training module): {QuickAccuracy(model, validation, encoder, shape, tokenizer.PadId)}");
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["trained_by"] = "samples/ShapesVlm.Train",
            ["steps"] = step.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["size"] = options.Size,
        };
        Exporter.Export(model, options.Out, options.Storage, metadata);
        Log($"exported to {options.Out} ({new FileInfo(Path.Combine(options.Out, CheckpointTensors.SingleFileName)).Length:N0} bytes, {options.Storage})");
        return 0;
    }

    /// <summary>Greedy exact match of the training module on a held-out set (first answer token argmax, then EOS).</summary>
    internal static string QuickAccuracy(LlavaForTraining model, HeldOutSet set, PromptEncoder encoder, ModelShape shape, int padId)
    {
        using var noGrad = no_grad();
        var correct = new Dictionary<QuestionType, (int Right, int Total)>();
        for (var start = 0; start < set.Records.Count; start += 32)
        {
            using var scope = NewDisposeScope();
            var host = set.Batch(encoder, start, 32);
            using var batch = host.ToTensors(shape.ImageSize, padId);
            var predicted = model.AnswerLogits(batch).argmax(-1).data<long>().ToArray();
            var targets = batch.Targets.data<long>().ToArray();
            var row = 0;
            foreach (var q in host.Questions)
            {
                // With teacher forcing on a correct first token this is exactly greedy decoding's answer.
                var ok = Enumerable.Range(row, q.Targets.Length).All(r => predicted[r] == targets[r]);
                row += q.Targets.Length;
                var (r0, t0) = correct.GetValueOrDefault(q.Type);
                correct[q.Type] = (r0 + (ok ? 1 : 0), t0 + 1);
            }
        }

        var right = correct.Values.Sum(c => c.Right);
        var total = correct.Values.Sum(c => c.Total);
        return string.Create(CultureInfo.InvariantCulture, $"{100.0 * right / total:F1}% ({right}/{total}); ")
            + string.Join(", ", correct.OrderBy(c => c.Key).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {100.0 * c.Value.Right / c.Value.Total:F0}%")));
    }

    internal static IReadOnlyList<VqaSample> HeldOut(TrainingOptions options)
    {
        var validation = File.ReadLines(Path.Combine(options.Data, "validation.jsonl")).Count(l => l.Length > 0);
        var test = File.ReadLines(Path.Combine(options.Data, "test.jsonl")).Count(l => l.Length > 0);
        return [.. SampleGenerator.Generate(options.HeldOutSeed, DatasetSplit.Validation, validation),
            .. SampleGenerator.Generate(options.HeldOutSeed, DatasetSplit.Test, test)];
    }

    private double LearningRate(long step)
    {
        if (step < options.WarmupSteps)
        {
            return options.LearningRate * (step + 1) / options.WarmupSteps;
        }

        var progress = Math.Min(1.0, (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps));
        var ratio = options.MinLearningRateRatio + ((1 - options.MinLearningRateRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
        return options.LearningRate * ratio;
    }

    private void SaveCheckpoint(LlavaForTraining model, AdamW optimizer, long step, double seconds)
    {
        Directory.CreateDirectory(options.Checkpoint);
        var tensors = model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)).Concat(optimizer.State());
        SafetensorsWriter.Write(Path.Combine(options.Checkpoint, CheckpointTensors.SingleFileName), tensors, SafetensorsDType.F32);
        var state = new CheckpointState(step, optimizer.StepCount, seconds, options.Size, options.Seed, options.ImagesPerBatch, options.QuestionsPerImage, options.Steps);
        var path = Path.Combine(options.Checkpoint, StateFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(state));
        File.Move(path + ".tmp", path, overwrite: true);
        Log($"checkpoint saved at step {step}");
    }

    private (long Step, double Seconds) LoadCheckpoint(LlavaForTraining model, AdamW optimizer)
    {
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(options.Checkpoint, StateFile)))!;
        if (state.Size != options.Size || state.Seed != options.Seed || state.ImagesPerBatch != options.ImagesPerBatch
            || state.QuestionsPerImage != options.QuestionsPerImage || state.TotalSteps != options.Steps)
        {
            throw new ArgumentException($"the checkpoint in {options.Checkpoint} was made with other options: {state}");
        }

        using var tensors = CheckpointTensors.Open(options.Checkpoint);
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)).Concat(optimizer.State()))
        {
            using var loaded = tensors.Load(name);
            tensor.copy_(loaded);
        }

        optimizer.StepCount = state.OptimizerSteps;
        return (state.Step, state.Seconds);
    }

    internal static void Log(string message) =>
        Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

    private sealed record CheckpointState(long Step, long OptimizerSteps, double Seconds, string Size, int Seed, int ImagesPerBatch, int QuestionsPerImage, long TotalSteps);
}
