using System.Text.Json;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Tensors;
using static TorchSharp.torch;

namespace DopCompiler.Model.Checkpoints;

/// <summary>
/// All tensors of a Hugging Face checkpoint folder: one <c>model.safetensors</c>, or shards named by
/// <c>model.safetensors.index.json</c>. Tensors are memory-mapped: <see cref="LoadStored"/> gives them in their stored dtype
/// (what <see cref="Modules.WeightMatrix"/> keeps), <see cref="Load"/> converted (small tensors: norms, biases, embeddings of
/// the vision tower).
/// </summary>
public sealed class CheckpointTensors : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _fileByTensor;
    private readonly List<SafetensorsFile> _files;

    private CheckpointTensors(string folder, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileByTensor, Device? device)
    {
        Folder = folder;
        Device = device.IsHost() ? null : device;
        _files = files;
        _fileByTensor = fileByTensor;
    }

    public string Folder { get; }

    /// <summary>Where <see cref="Load"/> puts tensors: null for the CPU (zero-copy mappings where possible), else e.g. a CUDA device.</summary>
    public Device? Device { get; }

    /// <summary>The files of the checkpoint in a stable order (shards sorted by name).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IEnumerable<string> Names => _fileByTensor.Keys.Order(StringComparer.Ordinal);

    public bool Contains(string name) => _fileByTensor.ContainsKey(name);

    public TensorEntry Entry(string name) => File(name).Tensors[name];

    /// <summary>
    /// Opens a checkpoint folder; validates every header (and the index against the shards). Tensors are loaded onto
    /// <paramref name="device"/> (default: the CPU).
    /// </summary>
    public static CheckpointTensors Open(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder))
        {
            throw new DopException(DiagnosticCodes.ModelNotFound, $"model folder not found: {folder}", folder);
        }

        var indexPath = Path.Combine(folder, IndexFileName);
        var files = new List<SafetensorsFile>();
        var fileByTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            if (System.IO.File.Exists(indexPath))
            {
                var weightMap = ReadIndex(indexPath);
                foreach (var shardName in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
                {
                    if (shardName.Contains('/') || shardName.Contains('\\') || shardName.Contains(".."))
                    {
                        throw new DopException(DiagnosticCodes.SafetensorsFormat, $"{indexPath}: shard name '{shardName}' must be a file name in the model folder", indexPath);
                    }

                    files.Add(SafetensorsFile.Open(Path.Combine(folder, shardName)));
                }

                var byName = files.ToDictionary(f => Path.GetFileName(f.Path), StringComparer.Ordinal);
                foreach (var (tensor, shardName) in weightMap)
                {
                    var shard = byName[shardName];
                    if (!shard.Tensors.ContainsKey(tensor))
                    {
                        throw new DopException(DiagnosticCodes.SafetensorsFormat, $"{indexPath}: tensor '{tensor}' is mapped to {shardName}, which does not hold it", indexPath);
                    }

                    fileByTensor[tensor] = shard;
                }
            }
            else
            {
                var single = Path.Combine(folder, SingleFileName);
                var paths = System.IO.File.Exists(single)
                    ? [single]
                    : Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
                if (paths.Length == 0)
                {
                    throw new DopException(DiagnosticCodes.ModelNotFound, $"no {SingleFileName}, {IndexFileName} or *.safetensors file in {folder}", folder);
                }

                foreach (var path in paths)
                {
                    var file = SafetensorsFile.Open(path);
                    files.Add(file);
                    foreach (var name in file.Tensors.Keys)
                    {
                        if (!fileByTensor.TryAdd(name, file))
                        {
                            throw new DopException(DiagnosticCodes.SafetensorsFormat, $"tensor '{name}' appears in both {fileByTensor[name].Path} and {path}", path);
                        }
                    }
                }
            }
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }

        return new CheckpointTensors(folder, files, fileByTensor, device);
    }

    /// <summary>
    /// The tensor as stored, on the CPU: a zero-copy view of the file mapping (pages are read on first touch and are
    /// the kernel's to evict), not to be written to.
    /// </summary>
    /// <exception cref="DopException">DOP002 when the tensor is stored with an integer dtype: weights are floating point.</exception>
    public Tensor LoadStored(string name) => FloatingFile(name).Load(name);

    /// <summary>The tensor converted to <paramref name="dtype"/>; F32 stored and F32 asked stays a zero-copy mapping.</summary>
    /// <exception cref="DopException">DOP002 when the tensor is stored with an integer dtype: weights are floating point.</exception>
    public Tensor Load(string name, ScalarType dtype = ScalarType.Float32)
    {
        var stored = FloatingFile(name).Load(name);
        if (Device is not null)
        {
            using (stored)
            {
                return stored.to(dtype, Device);
            }
        }

        if (stored.dtype == dtype)
        {
            return stored;
        }

        // F16 and BF16 storage: converted once on load (no fp16 compute on CPU; bf16 only when the probe says so).
        using (stored)
        {
            return stored.to_type(dtype);
        }
    }

    /// <summary>
    /// The tensors concatenated along dimension 0 (fused projections such as q/k/v), as one new tensor; the parts are
    /// released at once rather than left to the finalizer, which on a GPU would hold their memory twice over meanwhile.
    /// </summary>
    public Tensor LoadConcatenated(IReadOnlyList<string> names, ScalarType dtype = ScalarType.Float32)
    {
        var parts = new List<Tensor>(names.Count);
        try
        {
            foreach (var name in names)
            {
                parts.Add(Load(name, dtype));
            }

            return cat(parts, 0);
        }
        finally
        {
            parts.ForEach(p => p.Dispose());
        }
    }

    /// <summary>Copies a tensor's stored bytes, as they are, to <paramref name="destination"/> (no TorchSharp).</summary>
    public void CopyRaw(string name, Stream destination) => File(name).CopyRaw(name, destination);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    /// <summary>The file holding <paramref name="name"/>, after checking the tensor is stored as F32, BF16 or F16.</summary>
    private SafetensorsFile FloatingFile(string name)
    {
        var file = File(name);
        var storedType = file.Tensors[name].DType;
        if (storedType is not (SafetensorsDType.F32 or SafetensorsDType.BF16 or SafetensorsDType.F16))
        {
            // Converting integers to floats would run the model on nonsense weights without a word.
            throw new DopException(DiagnosticCodes.SafetensorsFormat,
                $"{file.Path}: tensor '{name}' is stored as {storedType.Name()}; model weights must be F32, BF16 or F16", file.Path);
        }

        return file;
    }

    private SafetensorsFile File(string name) =>
        _fileByTensor.TryGetValue(name, out var file)
            ? file
            : throw new DopException(DiagnosticCodes.MissingTensor, $"the checkpoint in {Folder} has no tensor '{name}'", Folder);

    private static Dictionary<string, string> ReadIndex(string indexPath)
    {
        var bytes = Utf8Json.Read(indexPath, DiagnosticCodes.SafetensorsFormat);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new DopException(DiagnosticCodes.SafetensorsFormat, $"{indexPath}: no 'weight_map' object", indexPath);
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in map.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String)
                {
                    throw new DopException(DiagnosticCodes.SafetensorsFormat, $"{indexPath}: weight_map['{item.Name}'] is not a file name", indexPath);
                }

                result[item.Name] = item.Value.GetString()!;
            }

            return result;
        }
        catch (JsonException e)
        {
            throw new DopException(DiagnosticCodes.SafetensorsFormat, $"{indexPath}: not well-formed JSON: {e.Message}", indexPath, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
        }
    }
}
