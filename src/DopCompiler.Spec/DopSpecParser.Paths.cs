using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// Paths: 'model', 'libtorch_dir' and 'validation', resolved against the spec's folder and checked where they are written.
public static partial class DopSpecParser
{
    private static readonly string[] ValidationKeys = ["path", "limit"];

    private sealed partial class SpecBuilder
    {
        private string? ModelFolder(YNode node)
        {
            if (reader.String(node, "model", "a folder path") is not { } text)
            {
                return null;
            }

            var folder = Resolve(text);
            if (!Directory.Exists(folder))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Model folder '{text}' does not exist (resolved to '{folder}').");
                return null;
            }

            if (!File.Exists(Path.Combine(folder, "config.json")))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Model folder '{text}' has no config.json.");
                return null;
            }

            return folder;
        }

        private string? Folder(YNode node, string key)
        {
            if (reader.String(node, key, "a folder path") is not { } text)
            {
                return null;
            }

            var folder = Resolve(text);
            if (!Directory.Exists(folder))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Folder '{text}' given as '{key}' does not exist (resolved to '{folder}').");
                return null;
            }

            return folder;
        }

        /// <summary>A folder with libtorch.so: checked here so a wrong path is reported at its line, not by the native loader.</summary>
        private string? LibTorchFolder(YNode node)
        {
            if (Folder(node, "libtorch_dir") is not { } folder)
            {
                return null;
            }

            if (!File.Exists(Path.Combine(folder, "libtorch.so")))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"Folder '{folder}' given as 'libtorch_dir' holds no libtorch.so (point it at the lib/ folder of a libtorch or PyTorch build matching TorchSharp's libtorch version).");
                return null;
            }

            return folder;
        }

        private string? ExistingFile(YNode node, string key)
        {
            if (reader.String(node, key, "a file path") is not { } text)
            {
                return null;
            }

            var file = Resolve(text);
            if (!File.Exists(file))
            {
                reader.Report(SpecDiagnosticCodes.FileNotFound, node, $"File '{text}' given as '{key}' does not exist (resolved to '{file}').");
                return null;
            }

            return file;
        }

        private ValidationSpec? Validation(YNode node)
        {
            // `validation: samples.jsonl` is shorthand for `validation: { path: samples.jsonl }`.
            if (node is YScalar)
            {
                return ExistingFile(node, "validation") is { } shortPath ? new ValidationSpec { Path = shortPath } : null;
            }

            if (reader.Mapping(node, "'validation'", ValidationKeys) is not { } map)
            {
                return null;
            }

            var file = Required(map, "path", "'validation'") is { } pathNode ? ExistingFile(pathNode, "path") : null;
            long? limit = null;
            if (map["limit"] is { } limitNode && (limit = reader.Integer(limitNode, "limit", 1, int.MaxValue, "a positive integer")) is null)
            {
                return null;
            }

            return file is null ? null : new ValidationSpec { Path = file, Limit = (int?)limit };
        }
    }
}
