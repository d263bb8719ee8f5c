using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Checkpoints;

/// <summary>
/// One safetensors file: a validated header and tensors memory-mapped from the file (no copy into managed memory).
/// </summary>
/// <remarks>
/// The header is never trusted: its size, JSON, dtypes, shapes and offsets are checked against the file before any
/// tensor is mapped, and each violation is a <see cref="DopException"/> (DOP002) naming the file and the tensor.
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Headers beyond this are refused: real checkpoints have a few MB at most (the Rust reference uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly Dictionary<(SafetensorsDType, long), Tensor> _mappings = new();

    private SafetensorsFile(string path, long fileLength, long dataStart, IReadOnlyDictionary<string, TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        FileLength = fileLength;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }

    public long FileLength { get; }

    /// <summary>Byte offset of the data section (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Header records by tensor name.</summary>
    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> (string to string).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates the header; tensors are mapped lazily by <see cref="Load"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new DopException(DiagnosticCodes.ModelNotFound, $"safetensors file not found: {path}", path);
        }

        RegularFiles.Check(path);

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        var fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Error(path, $"file is {fileLength} bytes, shorter than the 8-byte header length field");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
        {
            throw Error(path, $"header length {headerLength} is larger than the file ({fileLength} bytes) or the {MaxHeaderBytes}-byte limit");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + (long)headerLength;
        var (tensors, metadata) = ParseHeader(path, header, fileLength - dataStart);
        return new SafetensorsFile(path, fileLength, dataStart, tensors, metadata);
    }

    /// <summary>
    /// The tensor as stored, mapped from the file where alignment allows (a view sharing the mapping), otherwise read.
    /// Callers convert dtype themselves (see <see cref="CheckpointTensors"/>); the result must not be written to.
    /// </summary>
    public Tensor Load(string name)
    {
        if (!Tensors.TryGetValue(name, out var entry))
        {
            throw new DopException(DiagnosticCodes.MissingTensor, $"tensor '{name}' is not in {Path}", Path);
        }

        var scalarType = ToScalarType(entry.DType);
        var elementSize = entry.DType.ElementSize();
        var absolute = DataStart + entry.Begin;
        if (entry.ElementCount == 0)
        {
            return zeros(entry.Shape, scalarType);
        }

        if (absolute % elementSize == 0)
        {
            var mapping = Mapping(entry.DType, scalarType, elementSize);
            return mapping.as_strided(entry.Shape, ContiguousStrides(entry.Shape), absolute / elementSize);
        }

        // Misaligned data (legal in the format, rare in practice): read the bytes instead of mapping them.
        var bytes = new byte[entry.ByteLength];
        using (var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            stream.Position = absolute;
            stream.ReadExactly(bytes);
        }

        var result = empty(entry.Shape, scalarType);
        result.bytes = bytes;
        return result;
    }

    /// <summary>Copies a tensor's stored bytes (no dtype conversion, no TorchSharp) to <paramref name="destination"/>.</summary>
    public void CopyRaw(string name, Stream destination)
    {
        if (!Tensors.TryGetValue(name, out var entry))
        {
            throw new DopException(DiagnosticCodes.MissingTensor, $"tensor '{name}' is not in {Path}", Path);
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        stream.Position = DataStart + entry.Begin;
        var buffer = new byte[(int)Math.Min(1 << 20, Math.Max(1, entry.ByteLength))];
        var left = entry.ByteLength;
        while (left > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                throw Error(Path, $"the file ends before the data of tensor '{name}'", name);
            }

            destination.Write(buffer, 0, read);
            left -= read;
        }
    }

    public void Dispose()
    {
        foreach (var mapping in _mappings.Values)
        {
            mapping.Dispose();
        }

        _mappings.Clear();
    }

    internal static ScalarType ToScalarType(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => ScalarType.Float32,
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.F16 => ScalarType.Float16,
        SafetensorsDType.I64 => ScalarType.Int64,
        SafetensorsDType.I32 => ScalarType.Int32,
        SafetensorsDType.U8 => ScalarType.Byte,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    private Tensor Mapping(SafetensorsDType dtype, ScalarType scalarType, int elementSize)
    {
        var key = (dtype, (long)elementSize);
        if (!_mappings.TryGetValue(key, out var mapping))
        {
            // MAP_PRIVATE over the whole file: pages are read on first touch, nothing is copied up front.
            mapping = from_file(Path, shared: false, size: FileLength / elementSize, dtype: scalarType);
            _mappings[key] = mapping;
        }

        return mapping;
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= shape[i];
        }

        return strides;
    }

    private static (Dictionary<string, TensorEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        Utf8Json.Check(header, path, DiagnosticCodes.SafetensorsFormat);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Error(path, $"header is not well-formed JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "header is not a JSON object");
            }

            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }

                var entry = ReadEntry(path, property.Name, property.Value, dataLength);
                if (!tensors.TryAdd(entry.Name, entry))
                {
                    throw Error(path, "tensor is listed twice in the header", entry.Name);
                }
            }

            CheckContiguous(path, tensors.Values, dataLength);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, "__metadata__ is not an object of strings");
        }

        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(path, $"__metadata__ value '{item.Name}' is not a string");
            }

            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static TensorEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw Error(path, "entry needs 'dtype' (string), 'shape' (array) and 'data_offsets' (array)", name);
        }

        var dtypeText = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeText, out var dtype))
        {
            throw Error(path, $"dtype '{dtypeText}' is not supported (F32, BF16, F16, I64, I32, U8)", name);
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size) || size < 0)
            {
                throw Error(path, "shape holds a value that is not a non-negative integer", name);
            }

            shape[i++] = size;
        }

        if (offsetsElement.GetArrayLength() != 2)
        {
            throw Error(path, "data_offsets must hold exactly [begin, end]", name);
        }

        var begin = OffsetValue(path, name, offsetsElement[0]);
        var end = OffsetValue(path, name, offsetsElement[1]);
        if (begin > end || end > dataLength)
        {
            throw Error(path, $"data_offsets [{begin}, {end}] lie outside the data section ({dataLength} bytes)", name);
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw Error(path, "shape's element count overflows", name);
        }

        if (expected != end - begin)
        {
            throw Error(path, $"byte count {end - begin} does not match {dtypeText} x [{string.Join(", ", shape)}] = {expected} bytes", name);
        }

        return new TensorEntry(name, dtype, shape, begin, end);
    }

    private static long OffsetValue(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < 0)
        {
            throw Error(path, "data_offsets holds a value that is not a non-negative integer", name);
        }

        return value;
    }

    /// <summary>
    /// The format's rule, as the reference implementation checks it: sorted by offset, each tensor's data starts where
    /// the previous one's ends (no overlap, no hole) and the last one ends at the end of the file (no unused bytes).
    /// </summary>
    private static void CheckContiguous(string path, IEnumerable<TensorEntry> entries, long dataLength)
    {
        TensorEntry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            var expected = previous?.End ?? 0;
            if (entry.Begin < expected)
            {
                throw Error(path, $"data of '{entry.Name}' [{entry.Begin}, {entry.End}) overlaps '{previous!.Name}' [{previous.Begin}, {previous.End})", entry.Name);
            }

            if (entry.Begin > expected)
            {
                throw Error(path, $"{entry.Begin - expected} unused bytes before the data of '{entry.Name}' (at {expected}, data starts at {entry.Begin}): the format allows no holes", entry.Name);
            }

            previous = entry;
        }

        var end = previous?.End ?? 0;
        if (end != dataLength)
        {
            throw Error(path, $"{dataLength - end} unused bytes after the last tensor's data (data ends at {end}, the file's data section has {dataLength} bytes): the format allows no holes");
        }
    }

    private static DopException Error(string path, string message, string? tensor = null) =>
        new(DiagnosticCodes.SafetensorsFormat, tensor is null ? $"{path}: {message}" : $"{path}: tensor '{tensor}': {message}", path);
}
