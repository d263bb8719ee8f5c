using QuickStart;

// Kept free of TorchSharp types: the generated module initializer loads the native libraries first.
return QuickStartRun.Run(args);
