using System.Globalization;

namespace ShapesVlm.Train;

/// <summary>Command-line options of the training program (plain <c>--name value</c> pairs).</summary>
internal sealed record TrainingOptions
{
    public string Out { get; init; } = "samples/ShapesVlm/model";
    public string Data { get; init; } = "samples/ShapesVlm/data";
    public string Checkpoint { get; init; } = "/tmp/shapesvlm-train/checkpoint";
    public string Size { get; init; } = "small";
    public double Minutes { get; init; } = 80;
    public long Steps { get; init; } = 2000;
    public int Seed { get; init; } = 1;
    public ulong HeldOutSeed { get; init; } = 1234;
    public int ImagesPerBatch { get; init; } = 16;
    public int QuestionsPerImage { get; init; } = 4;
    public double LearningRate { get; init; } = 1e-3;
    public double MinLearningRateRatio { get; init; } = 0.05;
    public long WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.05;
    public double GradClip { get; init; } = 1.0;
    public int LogEvery { get; init; } = 10;
    public double ValidateEveryMinutes { get; init; } = 4;
    public double CheckpointEveryMinutes { get; init; } = 5;
    public bool Resume { get; init; }
    public int Threads { get; init; } = 2;
    public long BenchSteps { get; init; }
    public string Storage { get; init; } = "bf16";
    public bool OverfitOneBatch { get; init; }
    public double AuxPatchLoss { get; init; }
    public double AuxProjectorLoss { get; init; }
    public long AuxPretrainSteps { get; init; }
    public double AuxRelationLoss { get; init; }
    public double AuxAttributeLoss { get; init; }

    public static TrainingOptions Parse(IReadOnlyList<string> args, out string mode, out string? argument)
    {
        var o = new TrainingOptions();
        mode = "train";
        argument = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double D() => double.Parse(Next(), CultureInfo.InvariantCulture);
            long L() => long.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--out" => o with { Out = Next() },
                "--data" => o with { Data = Next() },
                "--checkpoint" => o with { Checkpoint = Next() },
                "--size" => o with { Size = Next() },
                "--minutes" => o with { Minutes = D() },
                "--steps" => o with { Steps = L() },
                "--seed" => o with { Seed = (int)L() },
                "--held-out-seed" => o with { HeldOutSeed = (ulong)L() },
                "--images-per-batch" => o with { ImagesPerBatch = (int)L() },
                "--questions-per-image" => o with { QuestionsPerImage = (int)L() },
                "--lr" => o with { LearningRate = D() },
                "--min-lr-ratio" => o with { MinLearningRateRatio = D() },
                "--warmup" => o with { WarmupSteps = L() },
                "--weight-decay" => o with { WeightDecay = D() },
                "--log-every" => o with { LogEvery = (int)L() },
                "--validate-every-minutes" => o with { ValidateEveryMinutes = D() },
                "--checkpoint-every-minutes" => o with { CheckpointEveryMinutes = D() },
                "--resume" => o with { Resume = true },
                "--threads" => o with { Threads = (int)L() },
                "--bench" => o with { BenchSteps = L() },
                "--storage" => o with { Storage = Next() },
                "--overfit-one-batch" => o with { OverfitOneBatch = true },
                "--aux-patch-loss" => o with { AuxPatchLoss = D() },
                "--aux-projector-loss" => o with { AuxProjectorLoss = D() },
                "--aux-pretrain-steps" => o with { AuxPretrainSteps = L() },
                "--aux-relation-loss" => o with { AuxRelationLoss = D() },
                "--aux-attribute-loss" => o with { AuxAttributeLoss = D() },
                "--eval" => SetMode(o, "eval", Next(), ref mode, ref argument),
                "--check" => SetMode(o, "check", null, ref mode, ref argument),
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }

    private static TrainingOptions SetMode(TrainingOptions o, string newMode, string? value, ref string mode, ref string? argument)
    {
        mode = newMode;
        argument = value;
        return o;
    }
}
