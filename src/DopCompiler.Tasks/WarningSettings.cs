using System;
using System.Collections.Generic;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// The project's warning settings applied to the DOP warnings the tool prints, as the compiler applies them to its own:
    /// <c>NoWarn</c> silences a code, <c>WarningsAsErrors</c> promotes it, <c>TreatWarningsAsErrors</c> promotes every code
    /// not in <c>WarningsNotAsErrors</c>. MSBuild maps only <c>WarningsAsErrors</c>/<c>NoWarn</c> onto task warnings (and
    /// not <c>TreatWarningsAsErrors</c>), so the task decides itself, the same way for every DOP code.
    /// </summary>
    internal sealed class WarningSettings
    {
        private readonly bool _allAsErrors;
        private readonly HashSet<string> _asErrors;
        private readonly HashSet<string> _notAsErrors;
        private readonly HashSet<string> _suppressed;

        public WarningSettings(bool treatWarningsAsErrors, string? warningsAsErrors, string? warningsNotAsErrors, string? noWarn)
        {
            _allAsErrors = treatWarningsAsErrors;
            _asErrors = Codes(warningsAsErrors);
            _notAsErrors = Codes(warningsNotAsErrors);
            _suppressed = Codes(noWarn);
        }

        /// <summary>What a warning with <paramref name="code"/> becomes.</summary>
        public WarningDisposition Classify(string code)
        {
            if (_suppressed.Contains(code))
            {
                return WarningDisposition.Suppressed;
            }

            if (_asErrors.Contains(code) || (_allAsErrors && !_notAsErrors.Contains(code)))
            {
                return WarningDisposition.Error;
            }

            return WarningDisposition.Warning;
        }

        /// <summary>The codes of a list as MSBuild and the compiler accept it: separated by <c>;</c> or <c>,</c>, spaces ignored.</summary>
        private static HashSet<string> Codes(string? list)
        {
            var codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var part in (list ?? "").Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var code = part.Trim();
                if (code.Length > 0)
                {
                    codes.Add(code);
                }
            }

            return codes;
        }
    }
}
