namespace ShapesVlm.Data.Tests;

public class SampleTests
{
    private static readonly ulong[] Seeds = [1234, 7, 99];

    private static IEnumerable<VqaSample> ManySamples() =>
        Seeds.SelectMany(seed => Enum.GetValues<DatasetSplit>().SelectMany(split => SampleGenerator.Generate(seed, split, 800)));

    [Fact]
    public void Every_answer_matches_the_scene()
    {
        foreach (var sample in ManySamples())
        {
            Assert.Equal(AnswerOracle.Answer(sample.Scene, sample.Question.Text), sample.Question.Answer);
        }
    }

    [Fact]
    public void Answers_are_one_to_three_words_from_the_task_vocabulary()
    {
        var known = TaskWords.AllAnswers().ToHashSet();
        foreach (var sample in ManySamples())
        {
            Assert.Contains(sample.Question.Answer, known);
            Assert.InRange(sample.Question.Answer.Split(' ').Length, 1, 3);
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4000)]
    public void Question_types_and_exists_answers_are_exactly_balanced(int count)
    {
        var samples = SampleGenerator.Generate(1234, DatasetSplit.Test, count).ToArray();
        foreach (var type in Enum.GetValues<QuestionType>())
        {
            Assert.Equal(count / 4, samples.Count(s => s.Question.Type == type));
        }

        var exists = samples.Where(s => s.Question.Type == QuestionType.Exists).ToArray();
        Assert.Equal(exists.Length / 2, exists.Count(s => s.Question.Answer == "yes"));
        Assert.Equal(exists.Length / 2, exists.Count(s => s.Question.Answer == "no"));
    }

    [Fact]
    public void Answers_within_each_type_are_spread_out()
    {
        var samples = SampleGenerator.Generate(1234, DatasetSplit.Test, 4000).ToArray();
        foreach (var group in samples.GroupBy(s => s.Question.Type))
        {
            // No single answer should let a blind model score high; the yes/no split is exact (see above).
            var top = group.GroupBy(s => s.Question.Answer).Max(g => g.Count());
            Assert.True(top < 0.5 * group.Count() || group.Key == QuestionType.Exists, $"{group.Key}: top answer {top}/{group.Count()}");
        }

        Assert.Equal(4, samples.Where(s => s.Question.Type == QuestionType.ColorOf).Select(s => s.Question.Answer).Distinct().Count());
        Assert.Equal(3, samples.Where(s => s.Question.Type == QuestionType.LeftOf).Select(s => s.Question.Answer).Distinct().Count());
    }

    [Fact]
    public void Same_seed_gives_the_same_samples_and_other_seeds_or_splits_do_not()
    {
        var a = SampleGenerator.Generate(1234, DatasetSplit.Validation, 200).ToArray();
        var b = SampleGenerator.Generate(1234, DatasetSplit.Validation, 200).ToArray();
        Assert.All(a.Zip(b), p => Assert.True(p.First.Scene.SameAs(p.Second.Scene) && p.First.Question == p.Second.Question));

        var c = SampleGenerator.Generate(1235, DatasetSplit.Validation, 200).ToArray();
        var d = SampleGenerator.Generate(1234, DatasetSplit.Test, 200).ToArray();
        Assert.True(a.Zip(c).Count(p => p.First.Key == p.Second.Key) < 5);
        Assert.True(a.Zip(d).Count(p => p.First.Key == p.Second.Key) < 5);
    }

    [Fact]
    public void Sample_depends_only_on_seed_and_index()
    {
        ulong stream = SampleGenerator.SplitSeed(1234, DatasetSplit.Train);
        var direct = SampleGenerator.Generate(stream, 537);
        var listed = SampleGenerator.Generate(1234, DatasetSplit.Train, 538).Last();
        Assert.Equal(listed.Key, direct.Key);
        Assert.True(listed.Scene.SameAs(direct.Scene));
    }

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, rng.NextUInt64());
    }
}
