using System.Text.Json;
using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.Policy;

namespace DopCompiler.Search.Document;

/// <summary>
/// The one strict policy reader of the command-line consumers (<c>eval</c>, <c>logits</c>, <c>verify</c>, <c>trim</c>,
/// the up-to-date check): the schema (<see cref="PolicySchema.TryParse(byte[])"/>, the generator's reader too), then
/// what the schema cannot say: depths are whole layer counts in [0, num_layers], every depth names a known module and
/// group once, group names are unique, and against a model: the same layer count and the same content hash.
/// Every refusal is a <see cref="DopException"/>: DOP006 (the file), DOP010 (another model's policy).
/// </summary>
public static class PolicyFileReader
{
    /// <summary>Policy files are a few hundred kilobytes; a larger file is not one (and is not read into memory).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The prompt parts a group can come from: the spec's three, and the halves of an image split (<c>cls_split</c> or a
    /// chosen <c>grid.n_v</c>), which the search writes as <c>image_key</c>/<c>image_rest</c>.
    /// </summary>
    private static readonly string[] Sources = ["system", "image", "image_key", "image_rest", "text"];

    /// <summary>Reads and checks the document alone (no model): DOP006 on any problem, DOP038 for a pipe or device.</summary>
    public static PolicyDocument Read(string path)
    {
        if (!File.Exists(path))
        {
            throw Error(path, Directory.Exists(path) ? "the policy path is a folder, not a policy file" : "the policy file does not exist");
        }

        RegularFiles.Check(path);
        if (new FileInfo(path).Length > MaxBytes)
        {
            throw Error(path, $"the file is {new FileInfo(path).Length} bytes; policy files are far below {MaxBytes}");
        }

        var bytes = File.ReadAllBytes(path);
        if (JsonProblem(bytes) is { } malformed)
        {
            throw Error(path, malformed);
        }

        var parsed = PolicySchema.TryParse(bytes);
        if (!parsed.Succeeded)
        {
            throw Error(path, parsed.Message + (parsed.Location is { } at ? $" (at '{at}')" : ""));
        }

        var document = parsed.Document!;
        if (Problem(document) is { } problem)
        {
            throw Error(path, problem);
        }

        return document;
    }

    /// <summary>
    /// <see cref="Read(string)"/>, then checked against the model in <paramref name="modelFolder"/>: the same layer count
    /// (DOP006) and the same model (DOP010, naming both hashes; a trimmed model counts as the model it was made from).
    /// </summary>
    public static PolicyDocument ReadFor(string path, string modelFolder, ModelConfig config)
    {
        var document = Read(path);
        if (document.Model.NumLayers != config.Text.NumLayers)
        {
            throw Error(path, $"the policy is for a model of {document.Model.NumLayers} decoder layers; {modelFolder} has {config.Text.NumLayers}");
        }

        var actual = IdentityOf(modelFolder);
        if (!string.Equals(actual, document.Model.Hash, StringComparison.Ordinal))
        {
            throw new DopException(DiagnosticCodes.ModelHashMismatch,
                $"{path}: the policy was made for another model (hash {document.Model.Hash}); {modelFolder} has hash {actual}. Use the model it was made for, or re-run the search for this one",
                path);
        }

        return document;
    }

    /// <summary>The hash a policy for this folder must record: a trimmed checkpoint's source-model hash, else the folder's content hash.</summary>
    public static string IdentityOf(string modelFolder) =>
        TrimmedCheckpoint.SourceModelHashOf(modelFolder) ?? SearchInputs.HashModel(modelFolder);

    /// <summary>
    /// Strict JSON first: the schema's DataContract reader takes a missing closing brace, quoted numbers ("depth": "2")
    /// and any nesting inside unknown keys. Here: well-formed UTF-8 JSON, at most 64 levels deep, one object, and the
    /// numbers consumers compute with written as JSON integers.
    /// </summary>
    private static string? JsonProblem(byte[] bytes)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"a policy file is a JSON object, found {root.ValueKind}";
            }

            if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object
                && IntegerProblem(model, "num_layers", "model") is { } layers)
            {
                return layers;
            }

            if (DepthsJsonProblem(root, "depths") is { } problem)
            {
                return problem;
            }

            if (root.TryGetProperty("variants", out var variants) && variants.ValueKind == JsonValueKind.Array)
            {
                var v = 0;
                foreach (var variant in variants.EnumerateArray())
                {
                    if (variant.ValueKind == JsonValueKind.Object && DepthsJsonProblem(variant, $"variants[{v}].depths") is { } inVariant)
                    {
                        return inVariant;
                    }

                    v++;
                }
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"not well-formed JSON: {e.Message}";
        }
        catch (ArgumentException e)
        {
            // Bad UTF-8 surfaces here when strings are read.
            return $"not well-formed JSON: {e.Message}";
        }
    }

    private static string? DepthsJsonProblem(JsonElement parent, string where)
    {
        if (!parent.TryGetProperty("depths", out var depths) || depths.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var i = 0;
        foreach (var depth in depths.EnumerateArray())
        {
            if (depth.ValueKind != JsonValueKind.Object)
            {
                return $"'{where}[{i}]' must be an object, found {depth.ValueKind}";
            }

            if (IntegerProblem(depth, "depth", $"{where}[{i}]") is { } problem)
            {
                return problem;
            }

            i++;
        }

        return null;
    }

    private static string? IntegerProblem(JsonElement parent, string key, string where) =>
        !parent.TryGetProperty(key, out var value) ? $"'{where}.{key}' is missing"
        : value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out _) ? $"'{where}.{key}' must be a whole number, found {value.GetRawText()}"
        : null;

    /// <summary>What the schema lets through but no consumer can use; null when the document is consistent.</summary>
    private static string? Problem(PolicyDocument document)
    {
        var layers = document.Model.NumLayers;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Groups.Count; i++)
        {
            var group = document.Groups[i];
            if (!names.Add(group.Name))
            {
                return $"group '{group.Name}' is listed twice (at 'groups[{i}]')";
            }

            if (Array.IndexOf(Sources, group.Source) < 0)
            {
                return $"group '{group.Name}' has source '{group.Source}'; expected one of {string.Join(", ", Sources)} (at 'groups[{i}].source')";
            }

            if (group.ImageFraction is < 0 or > 1 || double.IsNaN(group.ImageFraction))
            {
                return $"group '{group.Name}' has image_fraction {group.ImageFraction}; expected a share in [0, 1] (at 'groups[{i}].image_fraction')";
            }
        }

        if (DepthProblem(document.Depths, "depths", names, layers) is { } problem)
        {
            return problem;
        }

        foreach (var (variant, i) in (document.Variants ?? []).Select((v, i) => (v, i)))
        {
            if (DepthProblem(variant.Depths, $"variants[{i}].depths", names, layers) is { } inVariant)
            {
                return $"variant '{variant.Name}': {inVariant}";
            }
        }

        return null;
    }

    private static string? DepthProblem(List<PolicyDepth> depths, string where, HashSet<string> names, int layers)
    {
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < depths.Count; i++)
        {
            var depth = depths[i];
            var at = $" (at '{where}[{i}]')";
            if (Array.IndexOf(PolicyDocumentFactory.Modules, depth.Module) < 0)
            {
                return $"module '{depth.Module}' is not one of {string.Join(", ", PolicyDocumentFactory.Modules)}{at}";
            }

            if (!names.Contains(depth.Group))
            {
                return $"group '{depth.Group}' is not among the policy's groups{at}";
            }

            if (!seen.Add((depth.Module, depth.Group)))
            {
                return $"{depth.Module} of group '{depth.Group}' has two depths{at}";
            }

            if (depth.Depth < 0 || depth.Depth > layers)
            {
                return $"{depth.Module} of group '{depth.Group}' has depth {depth.Depth}; a depth counts pruned layers, 0 to {layers}{at}";
            }
        }

        return null;
    }

    private static DopException Error(string path, string message) => new(DiagnosticCodes.PolicyMismatch, $"{path}: {message}", path);
}
