using DopCompiler.Spec;
using ShapesVlm.Data;
using ShapesVlm.Train.Modules;
using static TorchSharp.torch;
using DopCompiler.Inputs.Images;

namespace ShapesVlm.Train;

/// <summary>One question about one image of a batch, as token ids split at the image.</summary>
internal sealed record QuestionRows(int Image, int[] SuffixInput, int[] Targets, int FirstTargetRow, QuestionType Type, string Answer);

/// <summary>A batch in managed memory: normalised CHW pixels per image and the questions about them.</summary>
internal sealed class HostBatch
{
    public required int Images { get; init; }
    public required float[] Pixels { get; init; } // [B·3·H·W], CLIP-normalised
    public required int[] PrefixIds { get; init; }
    public required IReadOnlyList<QuestionRows> Questions { get; init; }
    public int[]? PatchLabels { get; init; } // [B·N] per-patch class (see PatchLabels), training batches only
    public int[]? RelationLabels { get; init; } // [B·N·2] per-patch relation targets (see PatchLabels.Relations), training batches only

    public BatchTensors ToTensors(int imageSize, int padId)
    {
        var s = Questions.Max(q => q.SuffixInput.Length);
        var suffix = new long[Questions.Count * s];
        Array.Fill(suffix, padId);
        var lossRows = new List<long>();
        var targets = new List<long>();
        for (var i = 0; i < Questions.Count; i++)
        {
            var q = Questions[i];
            for (var j = 0; j < q.SuffixInput.Length; j++)
            {
                suffix[(i * s) + j] = q.SuffixInput[j];
            }

            for (var j = 0; j < q.Targets.Length; j++)
            {
                lossRows.Add((i * s) + q.FirstTargetRow + j);
                targets.Add(q.Targets[j]);
            }
        }

        return new BatchTensors
        {
            Pixels = tensor(Pixels).view(Images, 3, imageSize, imageSize),
            PrefixIds = tensor(PrefixIds.Select(i => (long)i).ToArray()),
            SuffixIds = tensor(suffix).view(Questions.Count, s),
            ImageOfQuestion = tensor(Questions.Select(q => (long)q.Image).ToArray()),
            LossRows = tensor(lossRows.ToArray()),
            Targets = tensor(targets.ToArray()),
            PatchLabels = PatchLabels is null ? null : tensor(PatchLabels.Select(l => (long)l).ToArray()).view(Images, -1),
            RelationLabels = RelationLabels is null ? null : tensor(RelationLabels.Select(l => (long)l).ToArray()).view(Images, -1, 2),
        };
    }
}

/// <summary>Prompt and answer ids, split at the image token, cached per text (the task has few distinct prompts).</summary>
internal sealed class PromptEncoder(ShapesTokenizer tokenizer)
{
    private readonly Dictionary<string, (int[] Prefix, int[] After)> _prompts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _answers = new(StringComparer.Ordinal);
    private int[]? _prefix;

    public ShapesTokenizer Tokenizer => tokenizer;

    public int[] Prefix => _prefix ?? throw new InvalidOperationException("no prompt encoded yet");

    public QuestionRows Rows(int image, string prompt, string answer, QuestionType type)
    {
        if (!_prompts.TryGetValue(prompt, out var split))
        {
            var ids = tokenizer.EncodePrompt(prompt);
            var at = Array.IndexOf(ids, tokenizer.ImageTokenId);
            if (at < 0 || Array.IndexOf(ids, tokenizer.ImageTokenId, at + 1) >= 0)
            {
                throw new InvalidDataException($"prompt must hold exactly one <image>: {prompt}");
            }

            split = (ids[..at], ids[(at + 1)..]);
            _prompts[prompt] = split;
        }

        _prefix ??= split.Prefix;
        if (!split.Prefix.AsSpan().SequenceEqual(_prefix))
        {
            throw new InvalidDataException("every prompt must share the text before <image> (the prompt template's prefix)");
        }

        if (!_answers.TryGetValue(answer, out var answerIds))
        {
            answerIds = tokenizer.EncodeAnswer(answer);
            _answers[answer] = answerIds;
        }

        int[] input = [.. split.After, .. answerIds[..^1]];
        return new QuestionRows(image, input, answerIds, split.After.Length - 1, type, answer);
    }
}

/// <summary>
/// Deterministic training batches: batch k holds stream samples [k·B, (k+1)·B) of <see cref="TrainingSampleStream"/>
/// (held-out ones skipped) and, per image, its own question plus up to questionsPerImage − 1 other distinct questions about the same scene
/// (types in turn, drawn by <see cref="QuestionGenerator"/>). A <see cref="QuestionType.LeftOf"/> question is added
/// <paramref name="leftOfRepeats"/> times: only a scene with a shape directly left of a unique colour can ask one, so
/// other scenes rarely add LeftOf questions and it gets ~2 % of the answer loss where the other types get ~30 % each;
/// repeating the row weights it up at the price of its suffix only.
/// </summary>
internal sealed class TrainingBatches(ShapesTokenizer tokenizer, ulong seed, IEnumerable<VqaSample> heldOut, int imagesPerBatch, int questionsPerImage,
    int leftOfRepeats = 1)
{
    private readonly TrainingSampleStream _stream = new(tokenizer, seed, heldOut);
    private readonly PromptEncoder _encoder = new(tokenizer);
    private readonly ulong _extraSeed = SplitMix64.Derive(seed, 0xE87AUL);

    public HostBatch Get(long batchIndex)
    {
        var pixels = new List<float>(imagesPerBatch * 3 * Scene.ImageSize * Scene.ImageSize);
        var questions = new List<QuestionRows>();
        var labels = new List<int>();
        var relations = new List<int>();
        var image = 0;
        for (long i = batchIndex * imagesPerBatch; i < (batchIndex + 1) * imagesPerBatch; i++)
        {
            var sample = _stream.Get(i);
            if (_stream.IsHeldOut(sample.Sample))
            {
                continue;
            }

            Normalise(sample.Pixels, pixels);
            var vqa = sample.Sample;
            labels.AddRange(PatchLabels.Of(vqa.Scene));
            relations.AddRange(PatchLabels.Relations(vqa.Scene));
            AddRows(vqa.Prompt, vqa.Question.Answer, vqa.Question.Type);
            // More questions about the same scene: the image's prefix is computed once, so each costs only its suffix.
            var rng = new SplitMix64(SplitMix64.Derive(_extraSeed, (ulong)i));
            var asked = new HashSet<string>(StringComparer.Ordinal) { vqa.Question.Text };
            var added = 1;
            for (var attempt = 0; added < questionsPerImage && attempt < 3 * questionsPerImage; attempt++)
            {
                var type = (QuestionType)(((int)vqa.Question.Type + 1 + attempt) % 4);
                var question = QuestionGenerator.TryAsk(vqa.Scene, type, rng.NextBool(), rng);
                if (question is null || !asked.Add(question.Text))
                {
                    continue;
                }

                var extra = vqa with { Question = question };
                if (!_stream.IsHeldOut(extra))
                {
                    AddRows(extra.Prompt, question.Answer, type);
                    added++;
                }
            }

            image++;
        }

        void AddRows(string prompt, string answer, QuestionType type)
        {
            var rows = _encoder.Rows(image, prompt, answer, type);
            for (var r = 0; r < (type == QuestionType.LeftOf ? leftOfRepeats : 1); r++)
            {
                questions.Add(rows);
            }
        }

        return new HostBatch { Images = image, Pixels = [.. pixels], PrefixIds = _encoder.Prefix, Questions = questions, PatchLabels = [.. labels], RelationLabels = [.. relations] };
    }

    /// <summary>[0, 1] CHW pixels → CLIP-normalised, as <see cref="ImagePreprocessor"/> does for the PNG files.</summary>
    private static void Normalise(float[] chw, List<float> output)
    {
        var plane = chw.Length / 3;
        for (var c = 0; c < 3; c++)
        {
            var mean = ImagePreprocessor.ClipMean[c];
            var std = ImagePreprocessor.ClipStd[c];
            for (var p = 0; p < plane; p++)
            {
                output.Add((chw[(c * plane) + p] - mean) / std);
            }
        }
    }
}

/// <summary>A JSONL split (validation or test) with its images preprocessed from the PNG files, as evaluation sees them.</summary>
internal sealed class HeldOutSet
{
    private HeldOutSet(IReadOnlyList<DatasetRecord> records, IReadOnlyList<float[]> pixels)
    {
        Records = records;
        Pixels = pixels;
    }

    public IReadOnlyList<DatasetRecord> Records { get; }

    public IReadOnlyList<float[]> Pixels { get; }

    public static HeldOutSet Load(string jsonlPath, ImagePreprocessor preprocessor)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(jsonlPath))!;
        var records = DatasetFiles.Read(jsonlPath);
        var pixels = records.Select(r => preprocessor.ToPixelValues(Path.Combine(folder, r.Image))).ToArray();
        return new HeldOutSet(records, pixels);
    }

    /// <summary>Samples [start, start+count) as one batch, one question per image.</summary>
    public HostBatch Batch(PromptEncoder encoder, int start, int count)
    {
        var end = Math.Min(Records.Count, start + count);
        var pixels = new List<float>();
        var questions = new List<QuestionRows>();
        for (var i = start; i < end; i++)
        {
            pixels.AddRange(Pixels[i]);
            questions.Add(encoder.Rows(i - start, Records[i].Prompt, Records[i].Answer, Records[i].Type));
        }

        return new HostBatch { Images = end - start, Pixels = [.. pixels], PrefixIds = encoder.Prefix, Questions = questions };
    }
}

/// <summary>
/// Dense labels for the auxiliary patch loss (training only): for each 16×16 patch of the 12×12 patch grid, the grid cell
/// (48 px = 3×3 patches) it falls in, labelled 0 when the cell is empty, else 1 + kind·4 + colour (13 classes).
/// </summary>
internal static class PatchLabels
{
    public const int PatchSize = 16;
    public const int Classes = 1 + (3 * 4);
    public const int PatchesPerSide = Scene.ImageSize / PatchSize;

    public static int Label(Shape shape) => 1 + ((int)shape.Kind * 4) + (int)shape.Color;

    /// <summary>Classes of the left-neighbour target: none, or the kind of the shape in the cell directly left.</summary>
    public const int LeftClasses = 1 + 3;

    /// <summary>Cross-entropy class weights of the left target: "none" 1, each neighbour kind <paramref name="neighbourWeight"/>.</summary>
    public static Tensor LeftClassWeights(double neighbourWeight) =>
        tensor(new[] { 1f, (float)neighbourWeight, (float)neighbourWeight, (float)neighbourWeight });

    /// <summary>Classes of the count target: how many shapes of the patch's own kind the scene holds (1..6; 0 unused).</summary>
    public const int CountClasses = 7;

    /// <summary>"Not a target" for cross-entropy (patches of empty cells have no relation targets).</summary>
    public const int Ignore = -100;

    /// <summary>
    /// Relation targets per patch, [N·2]: for a patch in an occupied cell, (a) the kind of the shape in the cell
    /// directly left of it (<see cref="QuestionGenerator.DirectlyLeft"/>; 0 = none) and (b) how many shapes of its kind the
    /// scene holds; <see cref="Ignore"/> for empty cells. Why: the LeftOf and CountOf answers are facts about the
    /// whole scene; supervising them densely where the decoder will look them up (on the anchor's own patches) turns
    /// both into the single-hop retrieval that ColorOf already is, which a from-scratch model learns within the
    /// 90-minute CPU budget. Training-only, like the patch classes: the exported model is a plain LLaVA.
    /// </summary>
    public static int[] Relations(Scene scene)
    {
        var cells = new (int Left, int Count)[Scene.GridSize * Scene.GridSize];
        Array.Fill(cells, (Ignore, Ignore));
        foreach (var shape in scene.Shapes)
        {
            var left = QuestionGenerator.DirectlyLeft(scene, shape);
            cells[(shape.Row * Scene.GridSize) + shape.Col] = (left is null ? 0 : 1 + (int)left.Kind, scene.Shapes.Count(s => s.Kind == shape.Kind));
        }

        var labels = new int[PatchesPerSide * PatchesPerSide * 2];
        for (var py = 0; py < PatchesPerSide; py++)
        {
            for (var px = 0; px < PatchesPerSide; px++)
            {
                var cell = cells[((py * PatchSize / Scene.CellSize) * Scene.GridSize) + (px * PatchSize / Scene.CellSize)];
                var patch = (py * PatchesPerSide) + px;
                labels[2 * patch] = cell.Left;
                labels[(2 * patch) + 1] = cell.Count;
            }
        }

        return labels;
    }

    public static int[] Of(Scene scene)
    {
        var cells = new int[Scene.GridSize * Scene.GridSize];
        foreach (var shape in scene.Shapes)
        {
            cells[(shape.Row * Scene.GridSize) + shape.Col] = Label(shape);
        }

        var labels = new int[PatchesPerSide * PatchesPerSide];
        for (var py = 0; py < PatchesPerSide; py++)
        {
            for (var px = 0; px < PatchesPerSide; px++)
            {
                labels[(py * PatchesPerSide) + px] = cells[((py * PatchSize / Scene.CellSize) * Scene.GridSize) + (px * PatchSize / Scene.CellSize)];
            }
        }

        return labels;
    }
}
