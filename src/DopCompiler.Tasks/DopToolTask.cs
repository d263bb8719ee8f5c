using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using DopCompiler.Policy;
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
        private const string ResultPrefix = "dop-result: ";
        private const int RememberedLines = 12;

        /// <summary>
        /// How often a step line (<c>dop: [n/m] ... (time left ..)</c>) is repeated at high importance within one phase: what
        /// the terminal logger shows as the live line at the default verbosity, and few enough lines for a CI log.
        /// </summary>
        private static readonly TimeSpan HighImportanceStepInterval = TimeSpan.FromSeconds(15);

        // "dop: [3/17] curve attention/image depth 4 (time left 00:12)": the phase kind is the first word after the counter.
        private static readonly Regex StepLine = new Regex(@"^dop: \[\d+/\d+\] (?<kind>\S+)", RegexOptions.CultureInvariant);

        private readonly Queue<string> _lastLines = new Queue<string>();
        private readonly Stopwatch _sinceHighStep = new Stopwatch();
        private string? _highStepKind;
        private WarningSettings? _warnings;
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

        /// <summary><c>$(TreatWarningsAsErrors)</c>: the tool's DOP warnings become errors (except <see cref="WarningsNotAsErrors"/>).</summary>
        public bool TreatWarningsAsErrors { get; set; }

        /// <summary><c>$(WarningsAsErrors)</c>: codes whose warnings become errors.</summary>
        public string? WarningsAsErrors { get; set; }

        /// <summary><c>$(WarningsNotAsErrors)</c>: codes that stay warnings under <see cref="TreatWarningsAsErrors"/>.</summary>
        public string? WarningsNotAsErrors { get; set; }

        /// <summary><c>$(NoWarn)</c>: codes whose warnings are not shown (logged as low-importance messages).</summary>
        public string? NoWarn { get; set; }

        /// <summary>The value of the tool's machine-readable <c>dop-result: </c> line, when it printed one.</summary>
        protected string? ResultValue { get; private set; }

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
                Log.LogError(null, TaskDiagnosticCodes.ToolNotFound, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.ToolNotFound), DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop tool was not found at '{0}'. Restore the project (dotnet restore) so the DopCompiler package is in the NuGet folder, or set DopToolPath to a built dop.dll.",
                    ToolAssembly);
                return false;
            }

            if (ProgressImportance() == null)
            {
                Log.LogError(null, TaskDiagnosticCodes.InvalidSetting, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.InvalidSetting), DefaultDiagnosticFile, 0, 0, 0, 0,
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

            if (singleLine.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                // The tool's machine-readable outcome (a contract, not progress text).
                ResultValue = singleLine.Substring(ResultPrefix.Length).Trim();
                Log.LogMessage(MessageImportance.Low, "{0}", singleLine);
                return;
            }

            if (singleLine.StartsWith(ProgressPrefix, StringComparison.Ordinal))
            {
                Log.LogMessage(ProgressLineImportance(singleLine), "{0}", singleLine);
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
            var help = DiagnosticHelp.LinkFor(diagnostic.Code);
            var disposition = diagnostic.IsWarning ? Warnings().Classify(diagnostic.Code) : WarningDisposition.Warning;
            if (diagnostic.IsError || disposition == WarningDisposition.Error)
            {
                Log.LogError(null, diagnostic.Code, null, help, file, diagnostic.Line, diagnostic.Column, diagnostic.EndLine, diagnostic.EndColumn, "{0}", diagnostic.Text);
            }
            else if (diagnostic.IsWarning && disposition == WarningDisposition.Suppressed)
            {
                Log.LogMessage(MessageImportance.Low, "{0}: warning {1} (suppressed by NoWarn): {2}", file, diagnostic.Code, diagnostic.Text);
            }
            else if (diagnostic.IsWarning)
            {
                Log.LogWarning(null, diagnostic.Code, null, help, file, diagnostic.Line, diagnostic.Column, diagnostic.EndLine, diagnostic.EndColumn, "{0}", diagnostic.Text);
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
                Log.LogError(null, TaskDiagnosticCodes.Cancelled, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.Cancelled), DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop search was cancelled; no policy was written.");
                return false;
            }

            if (_hostReportedMissingDependency)
            {
                Log.LogError(null, TaskDiagnosticCodes.ToolNotFound, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.ToolNotFound), DefaultDiagnosticFile, 0, 0, 0, 0,
                    "the dop tool could not start because a dependency was not found (exit code {0}). Restore the project so TorchSharp and libtorch-cpu-linux-x64 are in the NuGet folders ({1}). The host said: {2}",
                    ExitCode, ProbingPathsText(), LastLinesText());
                return false;
            }

            Log.LogError(null, TaskDiagnosticCodes.ToolCrashed, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.ToolCrashed), DefaultDiagnosticFile, 0, 0, 0, 0,
                "the dop tool stopped with exit code {0}{1} without reporting a diagnostic. {2}Build with -v:detailed for its full output; please report this with that output.",
                ExitCode, SignalText(ExitCode), LastLinesText().Length > 0 ? "Its last output: " + LastLinesText() + " " : "");
            return false;
        }

        private WarningSettings Warnings() =>
            _warnings ??= new WarningSettings(TreatWarningsAsErrors, WarningsAsErrors, WarningsNotAsErrors, NoWarn);

        /// <summary>
        /// With the default <c>normal</c>: high importance (shown by the terminal logger's live line and at minimal
        /// verbosity) for each phase's start line, the first step line of each phase kind and then one step line every
        /// <see cref="HighImportanceStepInterval"/>; the other step lines at normal importance. <c>low</c> and <c>high</c>
        /// put every line at that importance.
        /// </summary>
        internal MessageImportance ProgressLineImportance(string line)
        {
            var importance = ProgressImportance() ?? MessageImportance.Normal;
            if (importance != MessageImportance.Normal)
            {
                return importance;
            }

            var step = StepLine.Match(line);
            if (!step.Success)
            {
                return MessageImportance.High;
            }

            var kind = step.Groups["kind"].Value;
            if (kind != _highStepKind || !_sinceHighStep.IsRunning || _sinceHighStep.Elapsed >= HighImportanceStepInterval)
            {
                _highStepKind = kind;
                _sinceHighStep.Restart();
                return MessageImportance.High;
            }

            return MessageImportance.Normal;
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
