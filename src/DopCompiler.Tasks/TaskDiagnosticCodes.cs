namespace DopCompiler.Tasks
{
    /// <summary>Every <c>DOP05x</c> code the MSBuild integration raises itself; docs/msbuild.md lists meaning and fix.</summary>
    public static class TaskDiagnosticCodes
    {
        /// <summary>The dop tool exited with a non-zero code without reporting a diagnostic (it crashed).</summary>
        public const string ToolCrashed = "DOP050";

        /// <summary>The dop tool or one of its dependencies (TorchSharp, libtorch, the dotnet host) cannot be found.</summary>
        public const string ToolNotFound = "DOP051";

        /// <summary>The search was cancelled (build cancelled, or the tool exited with code 130); no policy was written.</summary>
        public const string Cancelled = "DOP052";

        /// <summary>A DopCompiler property or DopModel metadata has a value outside its allowed set.</summary>
        public const string InvalidSetting = "DOP053";

        /// <summary>The search is off (DopSearch=never, or a committed policy is used) but the policy file does not exist.</summary>
        public const string PolicyMissing = "DOP054";

        /// <summary>A DopModel item names a spec file that does not exist.</summary>
        public const string SpecMissing = "DOP055";
    }
}
