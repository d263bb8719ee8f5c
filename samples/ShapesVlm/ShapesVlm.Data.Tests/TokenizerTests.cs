namespace ShapesVlm.Data.Tests;

public class TokenizerTests
{
    private static readonly ShapesTokenizer Tokenizer = ShapesTokenizer.Load(RepoPaths.Model);

    [Fact]
    public void Special_tokens_have_fixed_ids_and_the_vocabulary_is_small()
    {
        Assert.Equal(0, Tokenizer.BosId);
        Assert.Equal(1, Tokenizer.PadId);
        Assert.Equal(2, Tokenizer.EosId);
        Assert.Equal(3, Tokenizer.UnkId);
        Assert.Equal(4, Tokenizer.ImageTokenId);
        Assert.InRange(Tokenizer.VocabSize, 100, 511);
        Assert.Equal(Tokenizer.VocabSize, Tokenizer.Inner.Vocabulary.Count);
    }

    [Fact]
    public void Committed_files_are_what_the_trainer_writes()
    {
        using var folder = new TempFolder();
        TokenizerTrainer.Write(folder.Path);
        foreach (var name in new[] { ShapesTokenizer.VocabFileName, ShapesTokenizer.MergesFileName, ShapesTokenizer.SpecialTokensFileName })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Model, name)), File.ReadAllBytes(Path.Combine(folder.Path, name)));
        }
    }

    [Fact]
    public void Every_prompt_and_answer_round_trips_without_unknown_tokens()
    {
        foreach (var text in TokenizerTrainer.Corpus())
        {
            var ids = Tokenizer.Encode(text);
            Assert.DoesNotContain(Tokenizer.UnkId, ids);
            Assert.Equal(text, Tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Prompt_and_answer_encode_the_same_apart_as_together()
    {
        foreach (var question in TaskWords.AllQuestions())
        {
            var prompt = PromptTemplate.Build(question);
            foreach (var answer in TaskWords.AllAnswers())
            {
                int[] together = [Tokenizer.BosId, .. Tokenizer.Encode(prompt + PromptTemplate.AnswerText(answer)), Tokenizer.EosId];
                int[] apart = [.. Tokenizer.EncodePrompt(prompt), .. Tokenizer.EncodeAnswer(answer)];
                Assert.Equal(together, apart);
            }
        }
    }

    [Fact]
    public void Prompts_fit_the_token_budget_with_one_image_token()
    {
        foreach (var question in TaskWords.AllQuestions())
        {
            var ids = Tokenizer.EncodePrompt(PromptTemplate.Build(question));
            Assert.InRange(ids.Length, 1, PromptTemplate.MaxPromptTokens);
            Assert.Single(ids, id => id == Tokenizer.ImageTokenId);
            Assert.Equal(Tokenizer.BosId, ids[0]);

            // After expansion the image is at least 75% of the prompt.
            int expanded = ids.Length - 1 + PromptTemplate.ImageTokenCount;
            Assert.True(PromptTemplate.ImageTokenCount >= 0.75 * expanded);
        }
    }

    [Fact]
    public void Every_task_word_and_answer_is_one_token()
    {
        foreach (var answer in TaskWords.AllAnswers())
        {
            var ids = Tokenizer.EncodeAnswer(answer);
            Assert.Equal(2, ids.Length);
            Assert.Equal(Tokenizer.EosId, ids[1]);
        }

        foreach (var word in TaskWords.AllQuestions().SelectMany(q => q.TrimEnd('?').Split(' ').Skip(1)))
        {
            Assert.Single(Tokenizer.Encode(" " + word));
        }
    }

    [Fact]
    public void Decode_can_skip_special_tokens()
    {
        var ids = Tokenizer.EncodeAnswer("red");
        Assert.Equal(" red</s>", Tokenizer.Decode(ids));
        Assert.Equal(" red", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Prompt_template_is_llava_style()
    {
        Assert.Equal(
            "SYSTEM: Answer the question about the shapes in the image.\nUSER: <image>\nhow many circles are there?\nASSISTANT:",
            PromptTemplate.Build("how many circles are there?"));
        Assert.Equal(144, PromptTemplate.ImageTokenCount);
    }

    [Fact]
    public void Training_stream_yields_tensors_and_ids_and_skips_held_out_samples()
    {
        var first = SampleGenerator.Generate(SampleGenerator.SplitSeed(1234, DatasetSplit.Train), 0);
        var stream = new TrainingSampleStream(Tokenizer, 1234, heldOut: [first]);
        var samples = stream.Take(12).ToArray();
        Assert.DoesNotContain(samples, s => s.Sample.Key == first.Key);
        Assert.Equal(1, samples[0].Sample.Index);
        foreach (var s in samples)
        {
            Assert.Equal(3 * 192 * 192, s.Pixels.Length);
            Assert.All(s.Pixels, v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(Tokenizer.EncodePrompt(s.Sample.Prompt), s.PromptIds);
            Assert.Equal(Tokenizer.EosId, s.AnswerIds[^1]);
            Assert.Equal(" " + s.Sample.Question.Answer, Tokenizer.Decode(s.AnswerIds, skipSpecialTokens: true));
        }

        Assert.Equal(stream.Get(5).PromptIds, new TrainingSampleStream(Tokenizer, 1234).Get(5).PromptIds);
    }

    [Fact]
    public void Training_stream_rarely_repeats_held_out_tasks()
    {
        var heldOut = SampleGenerator.Generate(1234, DatasetSplit.Validation, 64)
            .Concat(SampleGenerator.Generate(1234, DatasetSplit.Test, 1000)).Select(s => s.Key).ToHashSet();
        ulong train = SampleGenerator.SplitSeed(1234, DatasetSplit.Train);
        int repeats = Enumerable.Range(0, 5000).Count(i => heldOut.Contains(SampleGenerator.Generate(train, i).Key));
        Assert.True(repeats < 10, $"{repeats} of 5000 training samples repeat a held-out one");
    }
}
