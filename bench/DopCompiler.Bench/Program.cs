using DopCompiler.Bench;

// TorchSharp types stay out of this method: the native loader must run first.
return BenchmarkCommands.Run(args);
