using System;
using System.Collections.Generic;
using System.IO;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// The two top-level facts of a dop.yaml the build needs before the tool runs, to list the search's input files: the
    /// model folder and the validation file. Nothing else (the class's names come from the tool's parser, through the
    /// policy). A forgiving line reader, not a YAML parser: whatever it cannot read it leaves empty,
    /// and the tool (which parses the spec properly) reports the problem with file and line.
    /// </summary>
    internal sealed class SpecOutline
    {
        public string? Model { get; private set; }

        public string? Validation { get; private set; }

        public static SpecOutline Read(string path)
        {
            var outline = new SpecOutline();
            string[] lines;
            try
            {
                lines = File.ReadAllLines(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return outline;
            }

            string? section = null;
            foreach (var raw in lines)
            {
                var line = StripComment(raw).TrimEnd();
                if (line.Trim().Length == 0 || line.TrimStart().StartsWith("---", StringComparison.Ordinal))
                {
                    continue;
                }

                var indented = char.IsWhiteSpace(line[0]);
                if (!SplitKey(line.Trim(), out var key, out var value))
                {
                    if (!indented)
                    {
                        section = null;
                    }

                    continue;
                }

                if (!indented)
                {
                    section = value.Length == 0 ? key : null;
                    if (value.StartsWith("{", StringComparison.Ordinal))
                    {
                        foreach (var pair in FlowMapping(value))
                        {
                            outline.Set(key, pair.Key, pair.Value);
                        }
                    }
                    else if (value.Length > 0)
                    {
                        outline.Set(null, key, value);
                    }
                }
                else if (section != null && value.Length > 0)
                {
                    outline.Set(section, key, value);
                }
            }

            return outline;
        }

        private void Set(string? section, string key, string value)
        {
            var text = Unquote(value);
            if (text.Length == 0 || text == "~" || text == "null")
            {
                return;
            }

            switch ((section ?? "") + "/" + key)
            {
                case "/model":
                    Model = text;
                    break;
                case "/validation":
                case "validation/path":
                    Validation = text;
                    break;
            }
        }

        private static bool SplitKey(string line, out string key, out string value)
        {
            key = "";
            value = "";
            var colon = line.IndexOf(':');
            while (colon >= 0 && colon + 1 < line.Length && !char.IsWhiteSpace(line[colon + 1]))
            {
                colon = line.IndexOf(':', colon + 1);
            }

            if (colon <= 0 || line.StartsWith("-", StringComparison.Ordinal))
            {
                return false;
            }

            key = Unquote(line.Substring(0, colon).Trim());
            value = line.Substring(colon + 1).Trim();
            return key.Length > 0;
        }

        private static IEnumerable<KeyValuePair<string, string>> FlowMapping(string value)
        {
            var body = value.Trim().TrimStart('{').TrimEnd('}');
            foreach (var part in body.Split(','))
            {
                if (SplitKey(part.Trim(), out var key, out var item))
                {
                    yield return new KeyValuePair<string, string>(key, item);
                }
            }
        }

        private static string StripComment(string line)
        {
            var quote = '\0';
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                }
                else if (c == '"' || c == '\'')
                {
                    quote = c;
                }
                else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                {
                    return line.Substring(0, i);
                }
            }

            return line;
        }

        private static string Unquote(string value)
        {
            var text = value.Trim();
            if (text.Length >= 2 && ((text[0] == '"' && text[text.Length - 1] == '"') || (text[0] == '\'' && text[text.Length - 1] == '\'')))
            {
                return text.Substring(1, text.Length - 2);
            }

            return text;
        }
    }
}
