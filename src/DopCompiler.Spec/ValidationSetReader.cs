using System.Text;
using System.Text.Json;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Images;

namespace DopCompiler.Spec;

/// <summary>
/// Reads a validation set: one JSON object per line,
/// <c>{"image": "relative/path.png", "prompt": "...", "answer": "...", "type": "optional"}</c>.
/// </summary>
/// <remarks>Blank lines are skipped; unknown fields are ignored. Images are checked (exist, decodable header, size) up front.</remarks>
public static class ValidationSetReader
{
    private static readonly string[] RequiredFields = ["image", "prompt", "answer"];

    /// <summary>Reads the set a spec names, honouring its <c>limit</c>.</summary>
    public static SpecResult<ValidationSet> Read(ValidationSpec spec) => Read(spec.Path, spec.Limit);

    /// <summary>Reads the first <paramref name="limit"/> samples (all when null); every problem is reported at once.</summary>
    public static SpecResult<ValidationSet> Read(string path, int? limit = null)
    {
        var diagnostics = new List<SpecDiagnostic>();
        if (RegularFiles.Problem(path) is { } irregular)
        {
            diagnostics.Add(irregular);
            return Result(path, null, diagnostics);
        }

        string?[] lines;
        try
        {
            lines = ReadLines(path, diagnostics);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var message = File.Exists(path) ? $"Cannot read the validation set: {e.Message}" : "The validation set does not exist.";
            diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.FileNotFound, path, 0, 0, message));
            return Result(path, null, diagnostics);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var samples = new List<ValidationSample>();
        var seen = 0;
        for (var i = 0; i < lines.Length && (limit is null || seen < limit); i++)
        {
            if (lines[i] is not { } text)
            {
                // Not UTF-8: already reported at its line; it still counts toward the limit.
                seen++;
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            seen++;
            if (ReadLine(text, i + 1, path, folder, diagnostics) is { } sample)
            {
                samples.Add(sample);
            }
        }

        if (seen == 0)
        {
            diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.ValidationEmpty, path, 0, 0, "The validation set has no samples."));
        }

        return Result(path, samples, diagnostics);
    }

    /// <summary>
    /// The file's lines, decoded strictly: a line that is not valid UTF-8 is null and reported at its line and the
    /// column of its first bad byte (a lenient decoder would turn it into U+FFFD and train on the wrong prompt).
    /// </summary>
    private static string?[] ReadLines(string path, List<SpecDiagnostic> diagnostics)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        var lines = new List<string?>();
        while (start <= bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var stop = end < 0 ? bytes.Length : end;
            var line = bytes.AsSpan(start, stop > start && bytes[stop - 1] == (byte)'\r' ? stop - start - 1 : stop - start);
            var chars = new char[line.Length];
            var status = System.Text.Unicode.Utf8.ToUtf16(line, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status == System.Buffers.OperationStatus.Done)
            {
                lines.Add(new string(chars, 0, written));
            }
            else
            {
                // read = the bytes before the first invalid sequence: its column counts characters, as other columns do.
                var column = Encoding.UTF8.GetCharCount(line[..read]) + 1;
                diagnostics.Add(SpecDiagnostic.At(SpecDiagnosticCodes.ValidationJson, path, lines.Count + 1, column,
                    $"The line is not valid UTF-8 (byte 0x{(read < line.Length ? line[read] : 0):X2} at byte {read + 1} of the line); save the file as UTF-8."));
                lines.Add(null);
            }

            if (end < 0)
            {
                break;
            }

            start = end + 1;
        }

        return [.. lines];
    }

    private static SpecResult<ValidationSet> Result(string path, List<ValidationSample>? samples, List<SpecDiagnostic> diagnostics) =>
        diagnostics.Count == 0
            ? new() { Value = new ValidationSet { Path = Path.GetFullPath(path), Samples = new EquatableArray<ValidationSample>(samples!) }, Diagnostics = EquatableArray<SpecDiagnostic>.Empty }
            : new() { Value = null, Diagnostics = new EquatableArray<SpecDiagnostic>(diagnostics) };

    private static ValidationSample? ReadLine(string line, int lineNumber, string path, string folder, List<SpecDiagnostic> diagnostics)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        int Column(long byteOffset) => Encoding.UTF8.GetCharCount(bytes, 0, (int)Math.Min(byteOffset, bytes.Length)) + 1;
        void Report(string code, long byteOffset, string message) =>
            diagnostics.Add(SpecDiagnostic.At(code, path, lineNumber, Column(byteOffset), message));

        // field name → (value or null when not a string, byte offset of the value)
        var fields = new Dictionary<string, (string? Value, long Offset, JsonTokenType Token)>(StringComparer.Ordinal);
        var objectStart = 0L;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            reader.Read();
            objectStart = reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Report(SpecDiagnosticCodes.ValidationJson, reader.TokenStartIndex, "Each line must be a JSON object {\"image\": ..., \"prompt\": ..., \"answer\": ...}.");
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var nameOffset = reader.TokenStartIndex;
                reader.Read();
                var offset = reader.TokenStartIndex;
                var token = reader.TokenType;
                string? value = token == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
                if (!fields.TryAdd(name, (value, offset, token)))
                {
                    Report(SpecDiagnosticCodes.ValidationField, nameOffset, $"Field '{name}' appears twice.");
                    return null;
                }
            }

            if (reader.Read())
            {
                Report(SpecDiagnosticCodes.ValidationJson, reader.TokenStartIndex, "Unexpected content after the JSON object; put one sample per line.");
                return null;
            }
        }
        catch (JsonException e)
        {
            Report(SpecDiagnosticCodes.ValidationJson, e.BytePositionInLine ?? 0, $"Invalid JSON: {TrimJsonMessage(e.Message)}");
            return null;
        }

        var ok = true;
        foreach (var required in RequiredFields)
        {
            if (!fields.TryGetValue(required, out var field))
            {
                Report(SpecDiagnosticCodes.ValidationField, objectStart, $"Missing field '{required}'.");
                ok = false;
            }
            else if (field.Value is null)
            {
                Report(SpecDiagnosticCodes.ValidationField, field.Offset, $"Field '{required}' must be a string, found {Describe(field.Token)}.");
                ok = false;
            }
        }

        string? type = null;
        if (fields.TryGetValue("type", out var typeField) && typeField.Token != JsonTokenType.Null)
        {
            if (typeField.Value is null)
            {
                Report(SpecDiagnosticCodes.ValidationField, typeField.Offset, $"Field 'type' must be a string, found {Describe(typeField.Token)}.");
                ok = false;
            }

            type = typeField.Value;
        }

        if (!ok)
        {
            return null;
        }

        var image = fields["image"];
        if (image.Value!.Contains('\0', StringComparison.Ordinal) || image.Value.Length == 0)
        {
            // No file system takes these as a path (GetFullPath would throw an uncoded ArgumentException).
            Report(SpecDiagnosticCodes.ValidationField, image.Offset, "Field 'image' must be a file path: it is empty or holds a NUL character.");
            return null;
        }

        var imagePath = Path.GetFullPath(Path.Combine(folder, image.Value));
        if (ImageFile.CheckHeader(imagePath, path, lineNumber, Column(image.Offset)) is { } problem)
        {
            diagnostics.Add(problem);
            return null;
        }

        return new ValidationSample
        {
            ImagePath = imagePath,
            Prompt = fields["prompt"].Value!,
            Answer = fields["answer"].Value!,
            Type = type,
            Line = lineNumber,
        };
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => token.ToString(),
    };

    // System.Text.Json appends " LineNumber: 0 | BytePositionInLine: 12." — the diagnostic already says where.
    private static string TrimJsonMessage(string message)
    {
        var index = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return index > 0 ? message[..index] : message;
    }
}
