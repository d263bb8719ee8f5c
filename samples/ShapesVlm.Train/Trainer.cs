using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using DopCompiler.Spec;
using ShapesVlm.Data;
using ShapesVlm.Train.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DopCompiler.Inputs.Images;

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
        var shape = options.ModelShape(tokenizer);
        var heldOut = HeldOut(options);
        var batches = new TrainingBatches(tokenizer, (ulong)options.Seed, heldOut, options.ImagesPerBatch, options.QuestionsPerImage, options.LeftOfRepeats);
        var encoder = new PromptEncoder(tokenizer);
        var preprocessor = ImagePreprocessor.FromJson(shape.PreprocessorJson(), "preprocessor_config.json");
        var validation = HeldOutSet.Load(Path.Combine(options.Data, "validation.jsonl"), preprocessor);

        using var model = new LlavaForTraining(shape);
        if (options.VisionPositionInit == "sincos")
        {
            // After the model's own init (which is unchanged) and before the aux heads, so the run stays seed-deterministic.
            using var noGrad = no_grad();
            using var table = SinCosPositions.Table(shape.ImageSize / shape.PatchSize, shape.VisionHidden);
            var positions = model.named_parameters().Single(p => p.name == "vision_tower.vision_model.embeddings.position_embedding.weight").parameter;
            // SigLIP has no [CLS] row: its table is the patch rows alone.
            using var rows = table.narrow(0, table.shape[0] - positions.shape[0], positions.shape[0]);
            positions.copy_(rows);
        }

        // Training-only dense supervision of the vision pathway (not exported); created after the model so its init is unchanged.
        using var aux = options.AuxPatchLoss > 0 || options.AuxProjectorLoss > 0 || options.AuxRelationLoss > 0 || options.AuxAttributeLoss > 0 ? new AuxHeads(shape) : null;
        using var decoderLeft = options.AuxDecoderLeftLoss > 0 ? new DecoderLeftHead(shape, options.AuxDecoderLeftLayer) : null;
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter))
            .Concat(AuxParameters(aux, decoderLeft)).ToList();
        var count = model.parameters().Sum(p => p.numel());
        Log($"model: layout {shape.Layout}, size {options.Size}, {count:N0} parameters; decoder d={shape.Hidden} L={shape.Layers} H={shape.Heads}/{shape.KeyValueHeads} rope θ={shape.RopeTheta:G} "
            + $"mlp={shape.Intermediate}; vision d={shape.VisionHidden} L={shape.VisionLayers} H={shape.VisionHeads} mlp={shape.VisionIntermediate}; "
            + $"{shape.NumPatches} image tokens, vision positions {options.VisionPositionInit}; threads {torch.get_num_threads()}");
        Log($"schedule: {options.Steps} steps x {options.ImagesPerBatch} images (<= {options.QuestionsPerImage} questions each), lr {options.LearningRate} "
            + $"warmup {options.WarmupSteps}, cosine to {options.MinLearningRateRatio}x, wd {options.WeightDecay}, clip {options.GradClip}, limit {options.Minutes} min; "
            + $"aux patch loss {options.AuxPatchLoss}, aux projector loss {options.AuxProjectorLoss}, aux pretrain steps {options.AuxPretrainSteps}, aux relation loss {options.AuxRelationLoss} (neighbour weight {options.AuxLeftNeighbourWeight}), aux attribute loss {options.AuxAttributeLoss}, LeftOf repeats {options.LeftOfRepeats}, "
            + $"aux decoder left loss {options.AuxDecoderLeftLoss} after layer {options.AuxDecoderLeftLayer}");
        using var optimizer = new AdamW(trainable, options.WeightDecay);

        long step = 0;
        double previousSeconds = 0;
        if (options.Resume && File.Exists(Path.Combine(options.Checkpoint, StateFile)))
        {
            (step, previousSeconds) = LoadCheckpoint(model, aux, decoderLeft, optimizer);
            Log($"resumed at step {step} ({previousSeconds / 60:F1} min already trained)");
        }

        var clock = Stopwatch.StartNew();
        double Elapsed() => previousSeconds + clock.Elapsed.TotalSeconds;
        if (step == 0 && aux is not null && options.AuxPretrainSteps > 0)
        {
            Pretrain(model, aux, batches, shape, tokenizer.PadId);
        }

        var lastValidation = Elapsed();
        var lastCheckpoint = Elapsed();
        var windowClock = Stopwatch.StartNew();
        double windowLoss = 0, windowAuxLoss = 0, windowPatchAccuracy = 0, windowLeftAccuracy = 0, windowCountAccuracy = 0, windowDecoderLeft = 0, windowDecoderNeighbours = 0;
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
                var logits = model.AnswerLogits(batch, decoderLeft?.AfterLayer ?? 0, out var visionFeatures, out var projectedFeatures, out var imageStates);
                var loss = nn.functional.cross_entropy(logits, batch.Targets);
                windowLoss += loss.item<float>();
                if (decoderLeft is not null)
                {
                    var decoderLeftLoss = decoderLeft.Loss(imageStates!, batch.RelationLabels!, options.AuxLeftNeighbourWeight).Times(options.AuxDecoderLeftLoss);
                    windowAuxLoss += decoderLeftLoss.item<float>();
                    var (all, neighbours) = decoderLeft.Accuracy(imageStates!, batch.RelationLabels!);
                    windowDecoderLeft += all;
                    windowDecoderNeighbours += neighbours;
                    loss = loss.Plus(decoderLeftLoss);
                }

                if (aux is not null)
                {
                    var auxLoss = zeros(1).sum();
                    if (options.AuxPatchLoss > 0)
                    {
                        auxLoss = auxLoss.Plus(aux.VisionLoss(visionFeatures, batch.PatchLabels!).Times(options.AuxPatchLoss));
                        windowPatchAccuracy += aux.VisionAccuracy(visionFeatures, batch.PatchLabels!);
                    }

                    if (options.AuxProjectorLoss > 0)
                    {
                        auxLoss = auxLoss.Plus(aux.ProjectorLoss(projectedFeatures, batch.PatchLabels!).Times(options.AuxProjectorLoss));
                    }

                    if (options.AuxRelationLoss > 0)
                    {
                        auxLoss = auxLoss.Plus(aux.RelationLoss(projectedFeatures, batch.RelationLabels!, options.AuxLeftNeighbourWeight).Times(options.AuxRelationLoss));
                        var (leftAccuracy, countAccuracy) = aux.RelationAccuracy(projectedFeatures, batch.RelationLabels!);
                        windowLeftAccuracy += leftAccuracy;
                        windowCountAccuracy += countAccuracy;
                    }

                    if (options.AuxAttributeLoss > 0)
                    {
                        auxLoss = auxLoss.Plus(aux.AttributeLoss(projectedFeatures, batch.PatchLabels!).Times(options.AuxAttributeLoss));
                    }

                    windowAuxLoss += auxLoss.item<float>();
                    loss = loss.Plus(auxLoss);
                }

                loss.backward();
                optimizer.ClipGradients(options.GradClip);
                optimizer.Step(lr);
                optimizer.ZeroGrad();
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
                    $"step {step}/{options.Steps} loss {lastLoss:F4}{(aux is null ? "" : $" aux {windowAuxLoss / windowSteps:F4} patch acc {100 * windowPatchAccuracy / windowSteps:F1}%")}{(options.AuxRelationLoss > 0 ? $" left acc {100 * windowLeftAccuracy / windowSteps:F1}% count acc {100 * windowCountAccuracy / windowSteps:F1}%" : "")}{(decoderLeft is null ? "" : $" decoder left acc {100 * windowDecoderLeft / windowSteps:F1}% (neighbours {100 * windowDecoderNeighbours / windowSteps:F1}%)")} lr {lr:E2} {windowQuestions / seconds:F1} q/s {windowSteps * options.ImagesPerBatch / seconds:F1} img/s "
                    + $"elapsed {TimeSpan.FromSeconds(Elapsed()):hh\\:mm\\:ss} eta {eta:hh\\:mm\\:ss}"));
                windowLoss = 0;
                windowAuxLoss = 0;
                windowPatchAccuracy = 0;
                windowLeftAccuracy = 0;
                windowCountAccuracy = 0;
                windowDecoderLeft = 0;
                windowDecoderNeighbours = 0;
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
                SaveCheckpoint(model, aux, decoderLeft, optimizer, step, Elapsed());
                lastCheckpoint = Elapsed();
            }
        }

        SaveCheckpoint(model, aux, decoderLeft, optimizer, step, Elapsed());
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

    /// <summary>
    /// Aux pretraining: the vision tower, projector and aux heads alone (no decoder, ~30× cheaper a step) on the dense patch
    /// labels of batches 10⁹ + k (images the main phase never sees at its start), with their own AdamW and a short warmup;
    /// the main phase then starts with a tower that already tells shapes and colours apart. Deterministic by seed.
    /// </summary>
    private void Pretrain(LlavaForTraining model, AuxHeads aux, TrainingBatches batches, ModelShape shape, int padId)
    {
        var parameters = model.named_parameters()
            .Where(p => p.parameter.requires_grad && (p.name.StartsWith("vision_tower.", StringComparison.Ordinal) || p.name.StartsWith("multi_modal_projector.", StringComparison.Ordinal)))
            .Select(p => (p.name, p.parameter)).Concat(AuxParameters(aux)).ToList();
        using var optimizer = new AdamW(parameters, options.WeightDecay);
        var clock = Stopwatch.StartNew();
        double windowLoss = 0, windowAccuracy = 0;
        var window = 0;
        var warmup = Math.Max(1, Math.Min(50, options.AuxPretrainSteps / 10));
        for (long k = 0; k < options.AuxPretrainSteps; k++)
        {
            var lr = options.LearningRate * Math.Min(1.0, (k + 1.0) / warmup);
            var host = batches.Get(1_000_000_000L + k);
            using (var scope = NewDisposeScope())
            {
                using var batch = host.ToTensors(shape.ImageSize, padId);
                var (vision, projected) = model.ImageFeatures(batch.Pixels);
                var loss = aux.VisionLoss(vision, batch.PatchLabels!).Times(Math.Max(options.AuxPatchLoss, 1e-3));
                if (options.AuxProjectorLoss > 0)
                {
                    loss = loss.Plus(aux.ProjectorLoss(projected, batch.PatchLabels!).Times(options.AuxProjectorLoss));
                }

                loss.backward();
                optimizer.ClipGradients(options.GradClip);
                optimizer.Step(lr);
                optimizer.ZeroGrad();
                windowLoss += loss.item<float>();
                windowAccuracy += aux.VisionAccuracy(vision, batch.PatchLabels!);
                window++;
            }

            if ((k + 1) % (options.LogEvery * 5) == 0 || k + 1 == options.AuxPretrainSteps)
            {
                Log(string.Create(CultureInfo.InvariantCulture,
                    $"aux pretrain {k + 1}/{options.AuxPretrainSteps} loss {windowLoss / window:F4} patch acc {100 * windowAccuracy / window:F1}% lr {lr:E2} elapsed {clock.Elapsed:hh\\:mm\\:ss}"));
                windowLoss = 0;
                windowAccuracy = 0;
                window = 0;
            }
        }
    }

    /// <summary>The aux heads' parameters, named <c>aux.*</c> and <c>aux_decoder.*</c> (none without aux losses).</summary>
    private static IEnumerable<(string Name, Parameter Param)> AuxParameters(AuxHeads? aux, DecoderLeftHead? decoderLeft = null) =>
        (aux is null ? [] : aux.named_parameters().Select(p => ("aux." + p.name, p.parameter)))
            .Concat(decoderLeft is null ? [] : decoderLeft.named_parameters().Select(p => ("aux_decoder." + p.name, p.parameter)));

    private void SaveCheckpoint(LlavaForTraining model, AuxHeads? aux, DecoderLeftHead? decoderLeft, AdamW optimizer, long step, double seconds)
    {
        Directory.CreateDirectory(options.Checkpoint);
        var tensors = model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter))
            .Concat(AuxParameters(aux, decoderLeft).Select(p => KeyValuePair.Create(p.Name, (Tensor)p.Param))).Concat(optimizer.State());
        SafetensorsWriter.Write(Path.Combine(options.Checkpoint, CheckpointTensors.SingleFileName), tensors, SafetensorsDType.F32);
        var state = new CheckpointState(step, optimizer.StepCount, seconds, options.Size, options.Seed, options.ImagesPerBatch, options.QuestionsPerImage, options.Steps,
            options.AuxPatchLoss, options.AuxProjectorLoss, options.AuxRelationLoss, options.AuxAttributeLoss, options.RopeTheta, options.AuxDecoderLeftLoss);
        var path = Path.Combine(options.Checkpoint, StateFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(state));
        File.Move(path + ".tmp", path, overwrite: true);
        Log($"checkpoint saved at step {step}");
    }

    private (long Step, double Seconds) LoadCheckpoint(LlavaForTraining model, AuxHeads? aux, DecoderLeftHead? decoderLeft, AdamW optimizer)
    {
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(options.Checkpoint, StateFile)))!;
        if (state.AuxPatchLoss != options.AuxPatchLoss || state.AuxProjectorLoss != options.AuxProjectorLoss || state.AuxRelationLoss != options.AuxRelationLoss || state.AuxAttributeLoss != options.AuxAttributeLoss
            || state.RopeTheta != options.RopeTheta || state.AuxDecoderLeftLoss != options.AuxDecoderLeftLoss
            || state.Size != options.Size || state.Seed != options.Seed || state.ImagesPerBatch != options.ImagesPerBatch
            || state.QuestionsPerImage != options.QuestionsPerImage || state.TotalSteps != options.Steps)
        {
            throw new ArgumentException($"the checkpoint in {options.Checkpoint} was made with other options: {state}");
        }

        using var tensors = CheckpointTensors.Open(options.Checkpoint);
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter))
            .Concat(AuxParameters(aux, decoderLeft).Select(p => KeyValuePair.Create(p.Name, (Tensor)p.Param))).Concat(optimizer.State()))
        {
            using var loaded = tensors.Load(name);
            tensor.copy_(loaded);
        }

        optimizer.StepCount = state.OptimizerSteps;
        return (state.Step, state.Seconds);
    }

    internal static void Log(string message) =>
        Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

    private sealed record CheckpointState(long Step, long OptimizerSteps, double Seconds, string Size, int Seed, int ImagesPerBatch, int QuestionsPerImage, long TotalSteps,
        double AuxPatchLoss = 0, double AuxProjectorLoss = 0, double AuxRelationLoss = 0, double AuxAttributeLoss = 0, double RopeTheta = 10000.0, double AuxDecoderLeftLoss = 0);
}
