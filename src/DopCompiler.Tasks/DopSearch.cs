using System;
using System.Globalization;
using System.IO;
using System.Threading;
using DopCompiler.Policy;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// <c>dop search &lt;spec&gt; --out &lt;policy&gt; ...</c>: writes the policy (atomically, by the tool) or, when the
    /// policy's spec_hash already matches the inputs, leaves it untouched. Holds a lock file beside the policy so two
    /// builds of one project (target frameworks, parallel IDE builds) never search into the same file at once. A failed or
    /// cancelled search keeps the last good policy (the IDE keeps its class) and writes <see cref="StaleFile"/> saying why.
    /// </summary>
    public sealed class DopSearch : DopToolTask
    {
        private volatile bool _cancelled;
        private string? _firstError;

        [Required]
        public string SpecFile { get; set; } = "";

        [Required]
        public string PolicyFile { get; set; } = "";

        /// <summary>Overrides the spec's <c>budget.fraction</c> (<c>--budget</c>); empty to use the spec's budget.</summary>
        public string? Budget { get; set; }

        /// <summary><c>auto</c>, <c>cpu</c> or <c>cuda</c>; empty to use the spec's <c>device</c>.</summary>
        public string? Device { get; set; }

        /// <summary>Where the tool keeps measured curves between runs; empty for the tool's default.</summary>
        public string? CacheDir { get; set; }

        /// <summary>
        /// Folders holding the shards of the curve points (<c>dop search --shard i/n</c> outputs of CI jobs): the tool merges
        /// them instead of measuring the curves (<c>--shards</c>, one per folder). Empty: curves from the cache or measured.
        /// </summary>
        public string[]? CurveShards { get; set; }

        /// <summary>When set, the tool also writes the trimmed checkpoint the generated class reads into this folder (<c>--trimmed-out</c>).</summary>
        public string? TrimmedOut { get; set; }

        /// <summary>
        /// Written (one line: why) when the search fails or is cancelled while an older policy exists, and deleted when a
        /// search succeeds: the generator then reports DOPG013 (the class comes from the last good policy).
        /// </summary>
        public string? StaleFile { get; set; }

        /// <summary>True when the tool's <c>dop-result:</c> line said <c>up-to-date</c>: the policy file was not written.</summary>
        [Output]
        public bool WasUpToDate { get; private set; }

        protected override void AppendToolArguments(CommandLineBuilder builder)
        {
            builder.AppendSwitch("search");
            builder.AppendFileNameIfNotNull(SpecFile);
            builder.AppendSwitchIfNotNull("--out ", PolicyFile);
            if (!string.IsNullOrWhiteSpace(Budget))
            {
                builder.AppendSwitchIfNotNull("--budget ", Budget!.Trim());
            }

            if (!string.IsNullOrWhiteSpace(Device))
            {
                builder.AppendSwitchIfNotNull("--device ", Device!.Trim().ToLowerInvariant());
            }

            if (!string.IsNullOrWhiteSpace(LibTorchDir))
            {
                builder.AppendSwitchIfNotNull("--libtorch-dir ", LibTorchDir);
            }

            if (!string.IsNullOrWhiteSpace(CacheDir))
            {
                builder.AppendSwitchIfNotNull("--cache-dir ", CacheDir);
            }

            if (!string.IsNullOrWhiteSpace(TrimmedOut))
            {
                builder.AppendSwitchIfNotNull("--trimmed-out ", TrimmedOut!.TrimEnd('/', '\\'));
            }

            foreach (var folder in CurveShards ?? Array.Empty<string>())
            {
                if (!string.IsNullOrWhiteSpace(folder))
                {
                    builder.AppendSwitchIfNotNull("--shards ", folder.Trim().TrimEnd('/', '\\'));
                }
            }
        }

        protected override bool ValidateParameters()
        {
            DefaultDiagnosticFile ??= SpecFile;
            if (!File.Exists(SpecFile))
            {
                Log.LogError(null, TaskDiagnosticCodes.SpecMissing, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.SpecMissing), SpecFile, 0, 0, 0, 0,
                    "the DopModel spec '{0}' does not exist.", SpecFile);
                return false;
            }

            var device = (Device ?? "").Trim().ToLowerInvariant();
            if (device.Length > 0 && device != "auto" && device != "cpu" && device != "cuda")
            {
                Log.LogError(null, TaskDiagnosticCodes.InvalidSetting, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.InvalidSetting), SpecFile, 0, 0, 0, 0,
                    "DopDevice must be auto, cpu or cuda, found '{0}'.", Device);
                return false;
            }

            // A spec with several budgets takes 'name=value' (the tool checks the name and the value for that budget's kind).
            var budgetValue = Budget is { } text && text.IndexOf('=') is var equals && equals > 0 ? text.Substring(equals + 1).Trim() : Budget;
            if (!string.IsNullOrWhiteSpace(Budget)
                && !(double.TryParse(budgetValue, NumberStyles.Float, CultureInfo.InvariantCulture, out var budget) && budget > 0 && budget <= 1))
            {
                Log.LogError(null, TaskDiagnosticCodes.InvalidSetting, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.InvalidSetting), SpecFile, 0, 0, 0, 0,
                    "DopBudget must be a fraction in (0, 1] written with a '.' (or name=fraction for a spec with several budgets), found '{0}'.", Budget);
                return false;
            }

            return base.ValidateParameters();
        }

        public override bool Execute()
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(PolicyFile));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            using (var gate = AcquireLock())
            {
                if (gate == null)
                {
                    Log.LogError(null, TaskDiagnosticCodes.Cancelled, null, DiagnosticHelp.LinkFor(TaskDiagnosticCodes.Cancelled), SpecFile, 0, 0, 0, 0,
                        "the dop search was cancelled while waiting for another build of this project; no policy was written.");
                    return false;
                }

                var succeeded = base.Execute() && !Log.HasLoggedErrors;
                WasUpToDate = succeeded && ResultValue == "up-to-date";
                if (!succeeded)
                {
                    RemovePartialOutput();
                    MarkStale();
                }
                else if (!string.IsNullOrEmpty(StaleFile) && File.Exists(StaleFile))
                {
                    File.Delete(StaleFile);
                }

                return succeeded;
            }
        }

        public override void Cancel()
        {
            _cancelled = true;
            base.Cancel();
        }

        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            if (_firstError == null && CanonicalDiagnostic.TryParse(singleLine) is { IsError: true } error)
            {
                _firstError = error.Code + ": " + error.Text;
            }

            base.LogEventsFromTextOutput(singleLine, messageImportance);
        }

        /// <summary>The last good policy stays (the IDE keeps its class); the stale file says that it no longer matches the spec.</summary>
        private void MarkStale()
        {
            if (string.IsNullOrEmpty(StaleFile) || !File.Exists(PolicyFile))
            {
                return;
            }

            var reason = _cancelled || ExitCode == 130 ? "the last search was cancelled"
                : _firstError != null ? "the last search failed: " + _firstError
                : "the last search failed (exit code " + ExitCode.ToString(CultureInfo.InvariantCulture) + ")";
            try
            {
                // Temp file and rename, like every other output; the reason is one line (it becomes item metadata).
                var temp = StaleFile + ".tmp";
                File.WriteAllText(temp, reason.Replace('\r', ' ').Replace('\n', ' ') + "\n");
                if (File.Exists(StaleFile))
                {
                    File.Delete(StaleFile);
                }

                File.Move(temp, StaleFile);
                Log.LogMessage(MessageImportance.High, "dop: kept the last good policy {0} ({1}); it is marked stale until a search succeeds", PolicyFile, reason);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogMessage(MessageImportance.Normal, "dop: could not write {0}: {1}", StaleFile, e.Message);
            }
        }

        /// <summary>An exclusive lock file beside the policy, deleted on close; null when cancelled while waiting.</summary>
        private FileStream? AcquireLock()
        {
            var path = PolicyFile + ".lock";
            var waited = false;
            while (!_cancelled)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
                }
                catch (IOException)
                {
                    if (!waited)
                    {
                        Log.LogMessage(MessageImportance.High, "dop: waiting for another build that is searching into {0}", PolicyFile);
                        waited = true;
                    }

                    Thread.Sleep(250);
                }
            }

            return null;
        }

        /// <summary>A killed tool cannot clean up: remove its temp files and trimmed-model temp folders (never the last good policy).</summary>
        private void RemovePartialOutput()
        {
            try
            {
                var full = Path.GetFullPath(PolicyFile);
                var directory = Path.GetDirectoryName(full);
                if (directory != null && Directory.Exists(directory))
                {
                    foreach (var temp in Directory.GetFiles(directory, Path.GetFileName(full) + ".*.tmp"))
                    {
                        File.Delete(temp);
                    }
                }

                if (!string.IsNullOrWhiteSpace(TrimmedOut))
                {
                    // The trimmed model is built in <folder>.<pid>.tmp and renamed: a killed tool leaves only that behind.
                    var trimmed = Path.GetFullPath(TrimmedOut!).TrimEnd('/', '\\');
                    var parent = Path.GetDirectoryName(trimmed);
                    if (parent != null && Directory.Exists(parent))
                    {
                        foreach (var temp in Directory.GetDirectories(parent, Path.GetFileName(trimmed) + ".*.tmp"))
                        {
                            Directory.Delete(temp, recursive: true);
                        }
                    }
                }

            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogMessage(MessageImportance.Normal, "dop: could not remove partial output: {0}", e.Message);
            }
        }
    }
}
