namespace DopCompiler.Generator.Model
{
    /// <summary>What the generator needs to know about the compilation (booleans, so edits elsewhere leave it unchanged).</summary>
    internal sealed record CompilationFacts(bool HasRuntime, bool HasModuleInitializer);
}
