using GeneratedBench;

// No TorchSharp types here: the generated module initializer loads the native libraries before them.
return GeneratedClassBenchmark.Run(args);
