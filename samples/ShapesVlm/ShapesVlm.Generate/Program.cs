using System.Globalization;
using ShapesVlm.Data;

// Writes the held-out splits (JSONL + PNG) and the tokenizer files of the shapes VQA task.
// Usage: ShapesVlm.Generate --out <folder> [--validation 64] [--test 1000] [--seed 1234] [--tokenizer-out <folder>]
string? outFolder = null;
string? tokenizerOut = null;
int validation = 64;
int test = 1000;
ulong seed = 1234;

for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--out": outFolder = Value(); break;
        case "--tokenizer-out": tokenizerOut = Value(); break;
        case "--validation": validation = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--test": test = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "-h" or "--help":
            Console.WriteLine("ShapesVlm.Generate --out <folder> [--validation 64] [--test 1000] [--seed 1234] [--tokenizer-out <folder>]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Try --help.");
            return 2;
    }
}

if (outFolder is null && tokenizerOut is null)
{
    Console.Error.WriteLine("Nothing to do: give --out and/or --tokenizer-out. Try --help.");
    return 2;
}

if (tokenizerOut is not null)
{
    TokenizerTrainer.Write(tokenizerOut);
    var tokenizer = ShapesTokenizer.Load(tokenizerOut);
    Console.WriteLine($"tokenizer: {tokenizerOut} ({tokenizer.VocabSize} tokens, <image> = {tokenizer.ImageTokenId})");
}

if (outFolder is not null)
{
    foreach (var (split, count) in new[] { (DatasetSplit.Validation, validation), (DatasetSplit.Test, test) })
    {
        var samples = SampleGenerator.Generate(seed, split, count).ToArray();
        DatasetFiles.Write(outFolder, split, samples);
        var byType = string.Join(", ", samples.GroupBy(s => s.Question.Type).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
        Console.WriteLine($"{split}: {count} samples -> {Path.Combine(outFolder, DatasetFiles.JsonlName(split))} ({byType})");
    }

    long pngBytes = Directory.EnumerateFiles(Path.Combine(outFolder, DatasetFiles.ImageFolder), "*.png").Sum(f => new FileInfo(f).Length);
    Console.WriteLine($"images: {pngBytes / 1024} KiB");
}

return 0;
