using System.IO;
using DopCompiler.Policy;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// <c>dop verify &lt;spec&gt; --policy &lt;policy&gt;</c>: a cheap hash check (no TorchSharp) that a committed policy
    /// still matches the model and spec; the tool prints warning DOP040 when it does not.
    /// </summary>
    public sealed class DopVerify : DopToolTask
    {
        [Required]
        public string SpecFile { get; set; } = "";

        [Required]
        public string PolicyFile { get; set; } = "";

        /// <summary>True when the tool reported at least one warning (the committed policy is stale).</summary>
        [Output]
        public bool ReportedWarnings { get; private set; }

        protected override void AppendToolArguments(CommandLineBuilder builder)
        {
            builder.AppendSwitch("verify");
            builder.AppendFileNameIfNotNull(SpecFile);
            builder.AppendSwitchIfNotNull("--policy ", PolicyFile);
        }

        protected override bool ValidateParameters()
        {
            DefaultDiagnosticFile ??= SpecFile;
            if (!File.Exists(PolicyFile))
            {
                Log.LogError(null, TaskDiagnosticCodes.PolicyMissing, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.PolicyMissing), SpecFile, 0, 0, 0, 0,
                    "the committed policy '{0}' does not exist. Build once with DopSearch=always to write it, or remove DopPolicyFile.", PolicyFile);
                return false;
            }

            return base.ValidateParameters();
        }

        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            var diagnostic = CanonicalDiagnostic.TryParse(singleLine);
            if (diagnostic != null && diagnostic.IsWarning)
            {
                ReportedWarnings = true;
            }

            base.LogEventsFromTextOutput(singleLine, messageImportance);
        }
    }
}
