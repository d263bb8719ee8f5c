using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// Runs the <c>dop</c> tool out of process on the same dotnet host as MSBuild:
    /// <c>dotnet exec --additionalprobingpath &lt;NuGet folder&gt;... dop.dll &lt;command&gt; ...</c>.
    /// Canonical output lines become MSBuild diagnostics with code and location, <c>dop: </c> lines are progress
    /// messages, and a crash becomes one readable DOP050 error instead of a bare MSB6006.
    /// </summary>
    public abstract class DopToolTask : ToolTask
    {
        private const string ProgressPrefix = "dop: ";
        private const int RememberedLines = 12;

        private readonly Queue<string> _lastLines = new Queue<string>();
        private bool _hostReportedMissingDependency;

        protected DopToolTask()
        {
            // Everything the tool prints goes through LogEventsFromTextOutput; these only matter for lines it passes on.
            StandardOutputImportance = "low";
            StandardErrorImportance = "low";
        }

        /// <summary>The tool's entry assembly, <c>tools/net10.0/dop.dll</c> in the package.</summary>
        [Required]
        public string ToolAssembly { get; set; } = "";

        /// <summary>The dotnet host; defaults to DOTNET_HOST_PATH (set by the dotnet CLI for the MSBuild it runs), then <c>dotnet</c> on PATH.</summary>
        public string? DotNetHostPath { get; set; }

        /// <summary>Folders the host searches for the tool's NuGet dependencies (TorchSharp, libtorch): <c>$(NuGetPackageFolders)</c>.</summary>
        public ITaskItem[]? ProbingPaths { get; set; }

        /// <summary><c>low</c>, <c>normal</c> (default) or <c>high</c>: the importance of the tool's <c>dop: </c> progress lines.</summary>
        public string? Verbosity { get; set; }

        /// <summary>A folder holding a libtorch build to load instead of the packaged CPU one; passed as DOP_LIBTORCH_DIR.</summary>
        public string? LibTorchDir { get; set; }

        /// <summary>The file a diagnostic printed without a location is attributed to (the spec).</summary>
        public string? DefaultDiagnosticFile { get; set; }

        protected override string ToolName => "dotnet";

        /// <summary>The tool's sub-command and its arguments, after the dll path.</summary>
        protected abstract void AppendToolArguments(CommandLineBuilder builder);

        protected override string GenerateFullPathToTool()
        {
            var host = DotNetHostPath;
            if (string.IsNullOrEmpty(host))
            {
                host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            }

            return string.IsNullOrEmpty(host) ? ToolName : host!;
        }

        protected override bool ValidateParameters()
        {
            if (!File.Exists(ToolAssembly))
            {
                Log.LogError(null, TaskDiagnosticCodes.ToolNotFound, null, DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop tool was not found at '{0}'. Restore the project (dotnet restore) so the DopCompiler package is in the NuGet folder, or set DopToolPath to a built dop.dll.",
                    ToolAssembly);
                return false;
            }

            if (ProgressImportance() == null)
            {
                Log.LogError(null, TaskDiagnosticCodes.InvalidSetting, null, DefaultDiagnosticFile, 0, 0, 0, 0,
                    "DopVerbosity must be low, normal or high, found '{0}'.", Verbosity);
                return false;
            }

            return base.ValidateParameters();
        }

        protected override string GenerateCommandLineCommands()
        {
            var builder = new CommandLineBuilder();
            builder.AppendSwitch("exec");
            foreach (var folder in ProbingPaths ?? Array.Empty<ITaskItem>())
            {
                var path = folder.ItemSpec.Trim();
                if (path.Length > 0)
                {
                    builder.AppendSwitchIfNotNull("--additionalprobingpath ", path.TrimEnd('/', '\\'));
                }
            }

            builder.AppendFileNameIfNotNull(ToolAssembly);
            AppendToolArguments(builder);
            return builder.ToString();
        }

        public override bool Execute()
        {
            var environment = new List<string>(EnvironmentVariables ?? Array.Empty<string>());
            if (!string.IsNullOrEmpty(LibTorchDir))
            {
                environment.Add("DOP_LIBTORCH_DIR=" + LibTorchDir);
            }

            // Plain lines, no colours or cursor tricks: the output goes to MSBuild, not a terminal.
            environment.Add("NO_COLOR=1");
            environment.Add("DOTNET_NOLOGO=1");
            EnvironmentVariables = environment.ToArray();
            return base.Execute();
        }

        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            var diagnostic = CanonicalDiagnostic.TryParse(singleLine);
            if (diagnostic != null)
            {
                LogDiagnostic(diagnostic);
                return;
            }

            if (singleLine.StartsWith(ProgressPrefix, StringComparison.Ordinal))
            {
                Log.LogMessage(ProgressImportance() ?? MessageImportance.Normal, "{0}", singleLine);
                return;
            }

            // The host's own failure ("An assembly specified in the application dependencies manifest ... was not
            // found") means TorchSharp or libtorch is not in the probing folders: say so, not just "exit code 140".
            if (singleLine.IndexOf("application dependencies manifest", StringComparison.OrdinalIgnoreCase) >= 0
                || singleLine.IndexOf("You must install or update .NET", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                _hostReportedMissingDependency = true;
            }

            Remember(singleLine);
            Log.LogMessage(MessageImportance.Low, "{0}", singleLine);
        }

        private void LogDiagnostic(CanonicalDiagnostic diagnostic)
        {
            var file = diagnostic.OriginIsTool ? DefaultDiagnosticFile : diagnostic.Origin;
            if (diagnostic.IsError)
            {
                Log.LogError(null, diagnostic.Code, null, file, diagnostic.Line, diagnostic.Column, diagnostic.EndLine, diagnostic.EndColumn, "{0}", diagnostic.Text);
            }
            else if (diagnostic.IsWarning)
            {
                Log.LogWarning(null, diagnostic.Code, null, file, diagnostic.Line, diagnostic.Column, diagnostic.EndLine, diagnostic.EndColumn, "{0}", diagnostic.Text);
            }
            else
            {
                Log.LogMessage(null, diagnostic.Code, null, file, diagnostic.Line, diagnostic.Column, diagnostic.EndLine, diagnostic.EndColumn,
                    MessageImportance.High, "{0}", diagnostic.Text);
            }
        }

        /// <summary>Called after a non-zero exit: one DOP05x error unless the tool already explained itself.</summary>
        protected override bool HandleTaskExecutionErrors()
        {
            if (Log.HasLoggedErrors)
            {
                // The tool printed its diagnostics (exit code 1): those are the whole story.
                return false;
            }

            if (ExitCode == 130)
            {
                Log.LogError(null, TaskDiagnosticCodes.Cancelled, null, DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop search was cancelled; no policy was written.");
                return false;
            }

            if (_hostReportedMissingDependency)
            {
                Log.LogError(null, TaskDiagnosticCodes.ToolNotFound, null, DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop tool could not start because a dependency was not found (exit code {0}). Restore the project so TorchSharp and libtorch-cpu-linux-x64 are in the NuGet folders ({1}). The host said: {2}",
                    ExitCode, ProbingPathsText(), LastLinesText());
                return false;
            }

            Log.LogError(null, TaskDiagnosticCodes.ToolCrashed, null, DefaultDiagnosticFile, 0, 0, 0, 0,
                "the dop tool stopped with exit code {0}{1} without reporting a diagnostic. {2}Build with -v:detailed for its full output; please report this with that output.",
                ExitCode, SignalText(ExitCode), LastLinesText().Length > 0 ? "Its last output: " + LastLinesText() + " " : "");
            return false;
        }

        /// <summary>Importance of progress lines for <see cref="Verbosity"/>; null when the value is not allowed.</summary>
        internal MessageImportance? ProgressImportance()
        {
            switch ((Verbosity ?? "").Trim().ToLowerInvariant())
            {
                case "":
                case "normal":
                    return MessageImportance.Normal;
                case "low":
                case "quiet":
                    return MessageImportance.Low;
                case "high":
                case "detailed":
                    return MessageImportance.High;
                default:
                    return null;
            }
        }

        private void Remember(string line)
        {
            if (line.Trim().Length == 0)
            {
                return;
            }

            _lastLines.Enqueue(line.Trim());
            while (_lastLines.Count > RememberedLines)
            {
                _lastLines.Dequeue();
            }
        }

        private string LastLinesText()
        {
            var text = new StringBuilder();
            foreach (var line in _lastLines)
            {
                if (text.Length > 0)
                {
                    text.Append(" | ");
                }

                text.Append(line);
            }

            return text.ToString();
        }

        private string ProbingPathsText()
        {
            var paths = new List<string>();
            foreach (var folder in ProbingPaths ?? Array.Empty<ITaskItem>())
            {
                paths.Add(folder.ItemSpec);
            }

            return paths.Count == 0 ? "none given: NuGetPackageFolders is empty" : string.Join(", ", paths);
        }

        private static string SignalText(int exitCode)
        {
            switch (exitCode)
            {
                case 134:
                    return " (SIGABRT: an unhandled .NET exception or a native abort)";
                case 137:
                    return " (SIGKILL: killed, often by the out-of-memory killer)";
                case 139:
                    return " (SIGSEGV: a native library crashed)";
                default:
                    return "";
            }
        }
    }
}
