using DopCompiler.Cli;

// No TorchSharp type may appear in this method: the JIT would resolve TorchSharp before any error handling runs.
return DopCommandLine.Run(args);
