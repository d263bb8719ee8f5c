using System;

namespace DopCompiler.Policy
{
    /// <summary>
    /// Where each diagnostic code is documented: the <c>HelpLink</c> of the MSBuild task's errors and warnings and the
    /// <c>helpLinkUri</c> of the generator's, one anchor per code (the SDK's analyzers do the same). Lives here because this
    /// folder is compiled into every netstandard2.0 half (generator, tasks) as well as referenced by the tool.
    /// </summary>
    public static class DiagnosticHelp
    {
        /// <summary>The documentation root the links point into.</summary>
        public const string DocsRoot = "https://github.com/dopcompiler/DopCompiler/blob/main/";

        /// <summary>
        /// <c>DOPG0xx</c> → docs/generated-code.md, <c>DOP050</c>–<c>DOP059</c> (the build integration's own) →
        /// docs/msbuild.md, every other <c>DOP0xx</c> → README.md's diagnostics table; the anchor is the code in lower case.
        /// </summary>
        public static string LinkFor(string code)
        {
            var upper = (code ?? "").Trim().ToUpperInvariant();
            var page = upper.StartsWith("DOPG", StringComparison.Ordinal) ? "docs/generated-code.md"
                : upper.StartsWith("DOP05", StringComparison.Ordinal) ? "docs/msbuild.md"
                : "README.md";
            return DocsRoot + page + "#" + upper.ToLowerInvariant();
        }
    }
}
