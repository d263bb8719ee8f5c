using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// One line of tool output in MSBuild's canonical form: <c>origin(line,col): error CODE: text</c>, or without a
    /// location <c>origin: warning CODE: text</c>. The dop tool prints every diagnostic this way.
    /// </summary>
    internal sealed class CanonicalDiagnostic
    {
        // origin(line[,col[,endLine,endCol]]) : category CODE : text. The origin is lazy and the location optional so
        // that "dop: error DOP099: ..." and "/a/b c/dop.yaml(3,5): error DOP023: ..." both parse; a Windows drive colon
        // in the origin is fine because the category must follow ": ".
        private static readonly Regex Pattern = new Regex(
            @"^\s*(?<origin>.*?)(\((?<line>\d+)(,(?<column>\d+))?(,(?<endLine>\d+),(?<endColumn>\d+))?\))?\s*:\s*"
            + @"(?<category>error|warning|info|message)\s+(?<code>[A-Za-z]+\d+)\s*:\s?(?<text>.*)$",
            RegexOptions.CultureInvariant | RegexOptions.Compiled);

        private CanonicalDiagnostic(string origin, string category, string code, string text, int line, int column, int endLine, int endColumn)
        {
            Origin = origin;
            Category = category;
            Code = code;
            Text = text;
            Line = line;
            Column = column;
            EndLine = endLine;
            EndColumn = endColumn;
        }

        /// <summary>The file (or tool name) the diagnostic is about, as printed.</summary>
        public string Origin { get; }

        /// <summary><c>error</c>, <c>warning</c>, <c>info</c> or <c>message</c>, lower case.</summary>
        public string Category { get; }

        public string Code { get; }

        public string Text { get; }

        /// <summary>1-based; 0 when the line has no location.</summary>
        public int Line { get; }

        /// <summary>1-based; 0 when absent.</summary>
        public int Column { get; }

        public int EndLine { get; }

        public int EndColumn { get; }

        public bool IsError => Category == "error";

        public bool IsWarning => Category == "warning";

        /// <summary>Parses <paramref name="line"/>; null when it is not a canonical diagnostic.</summary>
        public static CanonicalDiagnostic? TryParse(string line)
        {
            if (string.IsNullOrEmpty(line))
            {
                return null;
            }

            var match = Pattern.Match(line);
            if (!match.Success)
            {
                return null;
            }

            return new CanonicalDiagnostic(
                match.Groups["origin"].Value.Trim(),
                match.Groups["category"].Value.ToLowerInvariant(),
                match.Groups["code"].Value.ToUpperInvariant(),
                match.Groups["text"].Value.TrimEnd(),
                Number(match.Groups["line"]),
                Number(match.Groups["column"]),
                Number(match.Groups["endLine"]),
                Number(match.Groups["endColumn"]));
        }

        private static int Number(Group group) =>
            group.Success && int.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

        /// <summary>True when the origin names the tool rather than a file (<c>dop: error DOP099: ...</c>).</summary>
        public bool OriginIsTool => string.Equals(Origin, "dop", StringComparison.OrdinalIgnoreCase) || Origin.Length == 0;
    }
}
