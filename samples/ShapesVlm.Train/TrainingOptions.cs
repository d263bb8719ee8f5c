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

    /// <summary>
    /// RoPE base of the decoder (<c>rope_theta</c> in config.json). Why it is an option: with head dim 24 and θ = 10⁴ only
    /// 4 of the 12 rotary frequency pairs turn less than ~0.7 rad over the ~165 tokens between an image token and the
    /// answer position, so content-only lookups of image tokens have 8 dims a head to work with; θ = 5·10⁵ (Llama 3's
    /// value) leaves 7 pairs nearly position-free. Default 10⁴ keeps earlier commands reproducible.
    /// </summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Initial vision position embedding: <c>random</c> (N(0, 0.02), the default) or <c>sincos</c> (<see cref="Modules.SinCosPositions"/>).</summary>
    public string VisionPositionInit { get; init; } = "random";

    /// <summary>How many times a LeftOf question's rows enter a batch (a loss weight; see <see cref="TrainingBatches"/>).</summary>
    public int LeftOfRepeats { get; init; } = 1;

    /// <summary>Weight of the left-neighbour head's "a shape is there" classes against "none" (see <see cref="Modules.AuxHeads.RelationLoss"/>).</summary>
    public double AuxLeftNeighbourWeight { get; init; } = 1.0;

    /// <summary>Weight of the decoder-side left-neighbour loss (<see cref="Modules.DecoderLeftHead"/>); 0 = no such head.</summary>
    public double AuxDecoderLeftLoss { get; init; }

    /// <summary>After how many decoder layers <see cref="Modules.DecoderLeftHead"/> reads the image tokens.</summary>
    public int AuxDecoderLeftLayer { get; init; } = 2;

    /// <summary>Checkpoint family to build and export: <see cref="ModelLayout.Llava15"/> (default) or <see cref="ModelLayout.SiglipQwen2"/>.</summary>
    public string Layout { get; init; } = ModelLayout.Llava15;

    /// <summary>
    /// The model shape these options train: the size preset with the tokenizer's vocabulary, the RoPE base and the layout
    /// (SigLIP + Qwen2 take their families' 1e-6 norm epsilons, SiglipVisionConfig's and Qwen2's defaults).
    /// </summary>
    public ModelShape ModelShape(ShapesVlm.Data.ShapesTokenizer tokenizer)
    {
        var shape = Train.ModelShape.Preset(Size) with { Vocab = tokenizer.VocabSize, ImageTokenIndex = tokenizer.ImageTokenId, RopeTheta = RopeTheta, Layout = Layout };
        return shape.IsSiglipQwen2 ? shape with { LayerNormEps = 1e-6, RmsNormEps = 1e-6 } : shape;
    }

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
                "--layout" => o with { Layout = ModelLayout.Parse(Next()) },
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
                "--rope-theta" => o with { RopeTheta = D() },
                "--aux-left-neighbour-weight" => o with { AuxLeftNeighbourWeight = D() },
                "--aux-decoder-left-loss" => o with { AuxDecoderLeftLoss = D() },
                "--aux-decoder-left-layer" => o with { AuxDecoderLeftLayer = (int)L() },
                "--left-of-repeats" => o with { LeftOfRepeats = Math.Max(1, (int)L()) },
                "--vision-position-init" => o with { VisionPositionInit = PositionInit(Next()) },
                "--eval" => SetMode(o, "eval", Next(), ref mode, ref argument),
                "--check" => SetMode(o, "check", null, ref mode, ref argument),
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }

    private static string PositionInit(string value) =>
        value is "random" or "sincos" ? value : throw new ArgumentException($"--vision-position-init takes random or sincos, not '{value}'");

    private static TrainingOptions SetMode(TrainingOptions o, string newMode, string? value, ref string mode, ref string? argument)
    {
        mode = newMode;
        argument = value;
        return o;
    }
}
