using DopCompiler.Model.Text;
using DopCompiler.TestFixtures;

namespace DopCompiler.Model.Tests;

/// <summary>Qwen2's byte-level BPE, tokenizer.json-only checkpoints (byte-level and SentencePiece-style) and the image token.</summary>
public sealed class QwenTokenizerTests : IDisposable
{
    private const int ImageId = 500;
    private readonly TempFolder _temp = new();

    [Fact]
    public void Qwen2VocabMergesUseAddedTokensItsSplitAndNoBos()
    {
        TinyQwenTokenizer.WriteVocabMerges(_temp.Path, ImageId);
        WriteConfig(ImageId);
        var tokenizer = ModelTokenizer.Load(_temp.Path);
        var vocab = TinyQwenTokenizer.ByteLevelVocab();
        var added = TinyQwenTokenizer.AddedTokens(vocab.Count, ImageId);
        var ids = tokenizer.EncodePrompt("<|im_start|>user\n<image>\nhello world<|im_end|>");
        Assert.Equal(added["<|im_start|>"], ids[0]); // no BOS: Qwen2 has none
        Assert.Equal(added["<|im_end|>"], ids[^1]);
        Assert.Equal(added["<|im_end|>"], tokenizer.EosId);
        Assert.Null(tokenizer.BosId);
        Assert.Single(ids, ImageId);
        Assert.Contains(vocab["hello"], ids);
        Assert.Contains(vocab["\u0120world"], ids);
        // Qwen2's split takes digits one by one, so the "1 2" merge never applies (GPT-2's split would make "12").
        Assert.Equal([vocab["1"], vocab["2"], vocab["3"]], tokenizer.Encode("123"));
        Assert.Equal("<|im_start|>user\n<image>\nhello world<|im_end|>", tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokenizerJsonOnlyGivesTheSameIdsAsVocabAndMerges(bool mergesAsPairs)
    {
        using var files = new TempFolder();
        TinyQwenTokenizer.WriteVocabMerges(files.Path, ImageId);
        TinyQwenTokenizer.WriteByteLevelTokenizerJson(_temp.Path, ImageId, mergesAsPairs);
        WriteConfig(ImageId);
        var fromJson = ModelTokenizer.Load(_temp.Path);
        var fromFiles = ModelTokenizer.Load(files.Path);
        foreach (var text in new[] { "hello world", "<|im_start|>user\n<image>\nhow many? 123<|im_end|>", "hello\n\nworld  ok" })
        {
            Assert.Equal(fromFiles.EncodePrompt(text), fromJson.EncodePrompt(text));
        }

        Assert.Equal([TinyQwenTokenizer.ByteLevelVocab()["hello"]], fromJson.Encode("hello"));
        Assert.Equal(ImageId, fromJson.EncodePrompt("<image>").Single());
    }

    [Fact]
    public void SentencePieceStyleTokenizerJsonMergesFallsBackToBytesAndAddsBos()
    {
        var vocab = TinyQwenTokenizer.SentencePieceVocab();
        TinyQwenTokenizer.WriteSentencePieceTokenizerJson(_temp.Path, vocab.Count);
        WriteConfig(vocab.Count);
        var tokenizer = ModelTokenizer.Load(_temp.Path);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal([1, vocab["\u2581hello"], vocab["\u2581world"]], tokenizer.EncodePrompt("hello world"));
        // 'é' is no piece: byte fallback gives its two UTF-8 bytes.
        var ids = tokenizer.Encode("hello é");
        Assert.Equal([vocab["\u2581hello"], vocab["\u2581"], vocab["<0xC3>"], vocab["<0xA9>"]], ids);
        Assert.Equal("hello é", tokenizer.Decode(ids));
        Assert.Contains(vocab.Count, tokenizer.EncodePrompt("a <image> b"));
    }

    [Fact]
    public void ImagePlaceholderMapsToTheCheckpointsOwnImageToken()
    {
        TinyQwenTokenizer.WriteVocabMerges(_temp.Path, ImageId, imageToken: "<|image_pad|>");
        WriteConfig(ImageId);
        var tokenizer = ModelTokenizer.Load(_temp.Path);
        Assert.Equal("<|image_pad|>", tokenizer.ImageToken);
        Assert.Single(tokenizer.EncodePrompt("USER: <image>\nhello"), ImageId);
        Assert.Single(tokenizer.EncodePrompt("USER: <|image_pad|>\nhello"), ImageId);
    }

    [Fact]
    public void ImageTokenIndexWithoutATokenIsDop009()
    {
        TinyQwenTokenizer.WriteVocabMerges(_temp.Path, ImageId);
        WriteConfig(ImageId + 7);
        var error = Assert.Throws<DopException>(() => ModelTokenizer.Load(_temp.Path));
        Assert.Equal("DOP009", error.Code);
        Assert.Contains("image_token_index", error.Message);
    }

    [Fact]
    public void UnsupportedTokenizerJsonModelIsDop009()
    {
        File.WriteAllText(_temp.File("tokenizer.json"), """{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}""");
        var error = Assert.Throws<DopException>(() => ModelTokenizer.Load(_temp.Path));
        Assert.Equal("DOP009", error.Code);
        Assert.Contains("Unigram", error.Message);
    }

    public void Dispose() => _temp.Dispose();

    private void WriteConfig(int imageTokenId) =>
        File.WriteAllText(_temp.File("config.json"), $$"""{"model_type": "llava", "image_token_index": {{imageTokenId}}}""");
}
