using System.Globalization;
using System.Text;

namespace ShapesVlm.Data;

/// <summary>The data splits; each draws from its own seed stream.</summary>
public enum DatasetSplit
{
    /// <summary>Unlimited in-memory training samples.</summary>
    Train,
    /// <summary>The small held-out split used during training.</summary>
    Validation,
    /// <summary>The held-out split used for final accuracy.</summary>
    Test,
}

/// <summary>One scene with one question about it.</summary>
public sealed record VqaSample
{
    /// <summary>Position in its split.</summary>
    public required long Index { get; init; }

    /// <summary>The scene the question is about.</summary>
    public required Scene Scene { get; init; }

    /// <summary>The question and its answer.</summary>
    public required Question Question { get; init; }

    /// <summary>The full prompt text (see <see cref="PromptTemplate"/>).</summary>
    public string Prompt => PromptTemplate.Build(Question.Text);

    /// <summary>
    /// Canonical text of what the sample asks (cells, kinds, colours, question), ignoring pixel jitter;
    /// equal keys mean the same task, used to keep training samples out of the held-out splits.
    /// </summary>
    public string Key
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var s in Scene.Shapes)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{s.Row}{s.Col}{(int)s.Kind}{(int)s.Color};");
            }

            return sb.Append(Question.Text).ToString();
        }
    }
}

/// <summary>Makes balanced, seed-deterministic samples; sample i depends only on (seed, i).</summary>
public static class SampleGenerator
{
    // Every block of 8 consecutive indices holds each question type twice and one yes and one no Exists question.
    private const int BlockSize = 8;

    /// <summary>The seed of <paramref name="split"/>'s stream under the user's <paramref name="baseSeed"/>; splits never share a stream.</summary>
    public static ulong SplitSeed(ulong baseSeed, DatasetSplit split) => SplitMix64.Derive(baseSeed, 0xA11CE000UL + (ulong)split);

    /// <summary>Sample <paramref name="index"/> of the stream <paramref name="streamSeed"/>.</summary>
    public static VqaSample Generate(ulong streamSeed, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        long block = index / BlockSize;
        var slots = Enumerable.Range(0, BlockSize).ToArray();
        new SplitMix64(SplitMix64.Derive(streamSeed ^ 0xB10CB10CUL, (ulong)block)).Shuffle(slots);
        int slot = slots[index % BlockSize];
        var type = (QuestionType)(slot % 4);
        bool existsAnswer = slot < 4;

        var rng = new SplitMix64(SplitMix64.Derive(streamSeed, (ulong)index));
        while (true)
        {
            var scene = SceneGenerator.Next(rng);
            var question = QuestionGenerator.TryAsk(scene, type, existsAnswer, rng);
            if (question is not null)
            {
                return new VqaSample { Index = index, Scene = scene, Question = question };
            }
        }
    }

    /// <summary>Samples 0…<paramref name="count"/>−1 of <paramref name="split"/> under <paramref name="baseSeed"/>.</summary>
    public static IEnumerable<VqaSample> Generate(ulong baseSeed, DatasetSplit split, int count)
    {
        ulong streamSeed = SplitSeed(baseSeed, split);
        for (long i = 0; i < count; i++)
        {
            yield return Generate(streamSeed, i);
        }
    }
}
