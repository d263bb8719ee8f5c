using System.Collections;

namespace ShapesVlm.Data;

/// <summary>A sample ready for the model: image tensor data and token ids.</summary>
public sealed record TrainingSample
{
    /// <summary>The scene, question and answer it was made from.</summary>
    public required VqaSample Sample { get; init; }

    /// <summary>The image as CHW floats in [0, 1]: <c>[3, 192, 192]</c> flattened (see <see cref="ImageTensor"/>).</summary>
    public required float[] Pixels { get; init; }

    /// <summary>BOS + prompt ids; holds one <c>&lt;image&gt;</c> id.</summary>
    public required int[] PromptIds { get; init; }

    /// <summary>Answer ids followed by EOS.</summary>
    public required int[] AnswerIds { get; init; }
}

/// <summary>
/// Unlimited training samples rendered in memory (no PNGs), from the <see cref="DatasetSplit.Train"/> stream
/// of a base seed; samples whose <see cref="VqaSample.Key"/> is held out are skipped.
/// </summary>
public sealed class TrainingSampleStream : IEnumerable<TrainingSample>
{
    private readonly ShapesTokenizer _tokenizer;
    private readonly ulong _streamSeed;
    private readonly HashSet<string> _heldOut;

    /// <summary>A stream for <paramref name="baseSeed"/> (the same base seed as the held-out splits is fine: the stream differs).</summary>
    /// <param name="tokenizer">Tokenizer for prompt and answer ids.</param>
    /// <param name="baseSeed">The base seed; the stream uses <see cref="SampleGenerator.SplitSeed"/> with <see cref="DatasetSplit.Train"/>.</param>
    /// <param name="heldOut">Samples (e.g. validation and test) never to repeat in training.</param>
    public TrainingSampleStream(ShapesTokenizer tokenizer, ulong baseSeed, IEnumerable<VqaSample>? heldOut = null)
    {
        _tokenizer = tokenizer;
        _streamSeed = SampleGenerator.SplitSeed(baseSeed, DatasetSplit.Train);
        _heldOut = new HashSet<string>((heldOut ?? []).Select(s => s.Key), StringComparer.Ordinal);
    }

    /// <summary>True when <paramref name="sample"/> matches a held-out sample.</summary>
    public bool IsHeldOut(VqaSample sample) => _heldOut.Contains(sample.Key);

    /// <summary>Training sample at stream position <paramref name="index"/> (random access; not filtered).</summary>
    public TrainingSample Get(long index) => ToTraining(SampleGenerator.Generate(_streamSeed, index), _tokenizer);

    /// <summary>The tensor data and ids of <paramref name="sample"/>.</summary>
    public static TrainingSample ToTraining(VqaSample sample, ShapesTokenizer tokenizer) => new()
    {
        Sample = sample,
        Pixels = ImageTensor.ToChw(SceneRenderer.RenderRgb(sample.Scene)),
        PromptIds = tokenizer.EncodePrompt(sample.Prompt),
        AnswerIds = tokenizer.EncodeAnswer(sample.Question.Answer),
    };

    /// <summary>Samples from position 0 on, without end, held-out ones skipped.</summary>
    public IEnumerator<TrainingSample> GetEnumerator()
    {
        for (long i = 0; ; i++)
        {
            var sample = SampleGenerator.Generate(_streamSeed, i);
            if (!IsHeldOut(sample))
            {
                yield return ToTraining(sample, _tokenizer);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
