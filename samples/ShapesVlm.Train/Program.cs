using ShapesVlm.Train;

// No TorchSharp types here: NativeSetup's module initializer has loaded libtorch before this runs, and the JIT
// resolves a method's TorchSharp types before its body (see platform notes).
try
{
    var options = TrainingOptions.Parse(args, out var mode, out var argument);
    return mode switch
    {
        "eval" => Commands.Evaluate(options, argument!),
        "check" => Commands.Check(options),
        _ => Commands.Train(options),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("usage: ShapesVlm.Train [--out DIR] [--minutes M] [--steps N] [--seed S] [--size small|medium|wide-vision] [--layout llava-1.5|siglip-qwen2] [--resume] [--bench N]");
    Console.Error.WriteLine("       ShapesVlm.Train --eval data/test.jsonl [--out DIR]    evaluate the shipped folder with the DopCompiler loader");
    Console.Error.WriteLine("       ShapesVlm.Train --check [--out DIR]                    parity: exported checkpoint vs the training module");
    return 2;
}
