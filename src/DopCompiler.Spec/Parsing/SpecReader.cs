using System.Globalization;
using System.Text.RegularExpressions;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec.Parsing;

/// <summary>Typed reads of YAML nodes that record a diagnostic and return null instead of failing.</summary>
internal sealed partial class SpecReader(string file)
{
    public List<SpecDiagnostic> Diagnostics { get; } = [];

    public string File { get; } = file;

    public void Report(string code, YNode at, string message) =>
        Diagnostics.Add(SpecDiagnostic.At(code, File, at.Line, at.Column, message));

    /// <summary>Checks a mapping's keys (unknown, duplicate, non-scalar) and gives the first value of each known key.</summary>
    public MappingView? Mapping(YNode node, string what, IReadOnlyList<string> knownKeys)
    {
        if (node is not YMapping mapping)
        {
            Report(SpecDiagnosticCodes.WrongType, node, $"{what} must be a mapping, found {node.KindName}.");
            return null;
        }

        var seen = new Dictionary<string, (YScalar Key, YNode Value)>(StringComparer.Ordinal);
        var order = new List<string>();
        var suggested = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Entries)
        {
            if (keyNode is not YScalar key || key.IsNull)
            {
                Report(SpecDiagnosticCodes.WrongType, keyNode, $"Keys in {what} must be plain words, found {keyNode.KindName}.");
                continue;
            }

            if (seen.ContainsKey(key.Value))
            {
                var first = seen[key.Value].Key;
                Report(SpecDiagnosticCodes.DuplicateKey, key, $"Duplicate key '{key.Value}' in {what} (first given at line {first.Line}).");
                continue;
            }

            if (!knownKeys.Contains(key.Value))
            {
                var suggestion = EditDistance.Suggest(key.Value, knownKeys);
                Report(
                    SpecDiagnosticCodes.UnknownKey,
                    key,
                    $"Unknown key '{key.Value}' in {what}.{(suggestion is null ? "" : $" Did you mean '{suggestion}'?")} Known keys: {string.Join(", ", knownKeys)}.");
                if (suggestion is not null)
                {
                    suggested.Add(suggestion);
                }

                continue;
            }

            seen[key.Value] = (key, value);
            order.Add(key.Value);
        }

        return new MappingView(mapping, seen, order) { SuggestedKeys = suggested };
    }

    /// <summary>A non-null scalar's text; nodes of another kind are reported as <paramref name="expected"/>.</summary>
    public string? String(YNode node, string key, string expected = "a string")
    {
        if (node is YScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        Report(SpecDiagnosticCodes.WrongType, node, $"'{key}' must be {expected}, found {node.KindName}.");
        return null;
    }

    public bool? Bool(YNode node, string key)
    {
        if (node is YScalar { IsPlain: true } scalar)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE":
                    return true;
                case "false" or "False" or "FALSE":
                    return false;
            }
        }

        Report(SpecDiagnosticCodes.WrongType, node, $"'{key}' must be true or false, found {Describe(node)}.");
        return null;
    }

    public long? Integer(YNode node, string key, long min, long max, string rangeText)
    {
        if (node is not YScalar { IsPlain: true } scalar || !IntegerPattern().IsMatch(scalar.Value))
        {
            Report(SpecDiagnosticCodes.WrongType, node, $"'{key}' must be an integer, found {Describe(node)}.");
            return null;
        }

        if (!long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            || value < min || value > max)
        {
            Report(SpecDiagnosticCodes.OutOfRange, node, $"'{key}' must be {rangeText}, found {scalar.Value}.");
            return null;
        }

        return value;
    }

    public double? Number(YNode node, string key, Func<double, bool> inRange, string rangeText)
    {
        if (node is not YScalar { IsPlain: true } scalar || !NumberPattern().IsMatch(scalar.Value))
        {
            Report(SpecDiagnosticCodes.WrongType, node, $"'{key}' must be a number, found {Describe(node)}.");
            return null;
        }

        var value = double.Parse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(value) || !inRange(value))
        {
            Report(SpecDiagnosticCodes.OutOfRange, node, $"'{key}' must be {rangeText}, found {scalar.Value}.");
            return null;
        }

        return value;
    }

    /// <summary>One of <paramref name="words"/> (exact, lower case), mapped to its value.</summary>
    public T? Word<T>(YNode node, string key, IReadOnlyList<(string Word, T Value)> words)
        where T : struct
    {
        var text = String(node, key, "one of " + string.Join(", ", words.Select(w => w.Word)));
        if (text is null)
        {
            return null;
        }

        foreach (var (word, value) in words)
        {
            if (word == text)
            {
                return value;
            }
        }

        var names = words.Select(w => w.Word).ToList();
        Report(
            SpecDiagnosticCodes.OutOfRange,
            node,
            $"'{key}' must be one of {string.Join(", ", names)}, found '{text}'.{EditDistance.DidYouMean(text, names)}");
        return null;
    }

    /// <summary>Whether <paramref name="text"/> is a plain decimal number as the spec accepts it (no NaN, no comma).</summary>
    internal static bool IsNumber(string text) => NumberPattern().IsMatch(text);

    private static string Describe(YNode node) => node is YScalar { IsNull: false } scalar
        ? (scalar.IsPlain ? $"'{scalar.Value}'" : $"the quoted string \"{scalar.Value}\"")
        : node.KindName;

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
