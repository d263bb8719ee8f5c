using System.Diagnostics.CodeAnalysis;

// The policy schema is compiled in from DopCompiler.Policy, whose WriteAtomically (used by the search, never here) does
// file IO; the generator only parses text the compiler hands it.
[assembly: SuppressMessage("MicrosoftCodeAnalysisCorrectness", "RS1035:Do not use APIs banned for analyzers",
    Scope = "member", Target = "~M:DopCompiler.Policy.PolicySchema.WriteAtomically(System.String,DopCompiler.Policy.PolicyDocument)",
    Justification = "Linked schema source; the generator never calls it.")]
