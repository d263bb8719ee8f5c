using System.IO;
using DopCompiler.Policy;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// <c>dop trim &lt;spec&gt; --policy &lt;policy&gt; --out &lt;folder&gt;</c>: writes the trimmed checkpoint for a policy
    /// that was not searched in this build (a committed policy, or <c>DopSearch=never</c>). No search and no TorchSharp:
    /// the tool copies the tensors the generated class reads, and does nothing when the folder is already up to date.
    /// </summary>
    public sealed class DopTrim : DopToolTask
    {
        [Required]
        public string SpecFile { get; set; } = "";

        [Required]
        public string PolicyFile { get; set; } = "";

        [Required]
        public string OutputFolder { get; set; } = "";

        protected override void AppendToolArguments(CommandLineBuilder builder)
        {
            builder.AppendSwitch("trim");
            builder.AppendFileNameIfNotNull(SpecFile);
            builder.AppendSwitchIfNotNull("--policy ", PolicyFile);
            builder.AppendSwitchIfNotNull("--out ", OutputFolder.TrimEnd('/', '\\'));
        }

        protected override bool ValidateParameters()
        {
            DefaultDiagnosticFile ??= SpecFile;
            if (!File.Exists(PolicyFile))
            {
                Log.LogError(null, TaskDiagnosticCodes.PolicyMissing, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.PolicyMissing), SpecFile, 0, 0, 0, 0,
                    "the policy '{0}' does not exist, so there is no trimmed model to write. Build once with DopSearch=auto, or fix DopPolicyFile.", PolicyFile);
                return false;
            }

            return base.ValidateParameters();
        }
    }
}
