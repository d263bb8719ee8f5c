namespace ShapesVlm.Data.Tests;

public class DatasetFileTests
{
    [Fact]
    public void Same_seed_writes_byte_identical_png_and_jsonl()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        var samples = SampleGenerator.Generate(1234, DatasetSplit.Validation, 24).ToArray();
        DatasetFiles.Write(a.Path, DatasetSplit.Validation, samples);
        DatasetFiles.Write(b.Path, DatasetSplit.Validation, SampleGenerator.Generate(1234, DatasetSplit.Validation, 24).ToArray());

        var files = Directory.EnumerateFiles(a.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a.Path, f)).Order().ToArray();
        Assert.Equal(25, files.Length);
        foreach (var f in files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(b.Path, f)));
        }
    }

    [Fact]
    public void Jsonl_round_trips_and_points_at_existing_images()
    {
        using var folder = new TempFolder();
        var samples = SampleGenerator.Generate(5, DatasetSplit.Test, 16).ToArray();
        var written = DatasetFiles.Write(folder.Path, DatasetSplit.Test, samples);
        var read = DatasetFiles.Read(Path.Combine(folder.Path, "test.jsonl"));
        Assert.Equal(written, read);
        Assert.All(read, r => Assert.True(File.Exists(Path.Combine(folder.Path, r.Image))));
        Assert.Equal("images/test_0003.png", read[3].Image);
        Assert.Equal(samples[3].Prompt, read[3].Prompt);
    }

    [Fact]
    public void Jsonl_line_has_the_documented_shape()
    {
        var line = DatasetFiles.ToJson(new DatasetRecord { Image = "images/val_0001.png", Prompt = PromptTemplate.Build("is there a red circle?"), Answer = "yes", Type = QuestionType.Exists });
        Assert.Equal(
            "{\"image\":\"images/val_0001.png\",\"prompt\":\"SYSTEM: Answer the question about the shapes in the image.\\nUSER: <image>\\nis there a red circle?\\nASSISTANT:\",\"answer\":\"yes\",\"type\":\"Exists\"}",
            line);
    }

    [Theory]
    [InlineData(DatasetSplit.Validation, 64)]
    [InlineData(DatasetSplit.Test, 1000)]
    public void Committed_split_is_what_seed_1234_generates(DatasetSplit split, int count)
    {
        var jsonl = Path.Combine(RepoPaths.Data, DatasetFiles.JsonlName(split));
        var committed = DatasetFiles.Read(jsonl);
        Assert.Equal(count, committed.Count);
        var samples = SampleGenerator.Generate(1234, split, count).ToArray();
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(samples[i].Prompt, committed[i].Prompt);
            Assert.Equal(samples[i].Question.Answer, committed[i].Answer);
            Assert.Equal(samples[i].Question.Type, committed[i].Type);
        }

        // PNGs of a spread of samples are byte-identical to a fresh render.
        for (int i = 0; i < count; i += count / 8)
        {
            Assert.Equal(SceneRenderer.EncodePng(samples[i].Scene), File.ReadAllBytes(Path.Combine(RepoPaths.Data, committed[i].Image)));
        }
    }
}
