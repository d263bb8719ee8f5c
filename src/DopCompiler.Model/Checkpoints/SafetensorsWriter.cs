using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace DopCompiler.Model.Checkpoints;

/// <summary>Writes a safetensors file atomically (temp file, then move): fixtures, trimmed checkpoints, training output.</summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (sorted by name, as the reference implementation does) stored as
    /// <paramref name="storage"/> (F32, BF16 or F16); <paramref name="metadata"/> goes into <c>__metadata__</c>.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, SafetensorsDType storage = SafetensorsDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var raw = new List<RawTensor>();
        foreach (var (name, tensor) in tensors)
        {
            var dtype = tensor.dtype is ScalarType.Int64 ? SafetensorsDType.I64 : storage;
            using var converted = tensor.detach().cpu().to_type(SafetensorsFile.ToScalarType(dtype)).contiguous();
            var bytes = converted.bytes.ToArray();
            raw.Add(new RawTensor(name, dtype, tensor.shape.ToArray(), bytes.Length, stream => stream.Write(bytes)));
        }

        WriteRaw(path, raw, metadata);
    }

    /// <summary>
    /// Writes tensors given as stored bytes (sorted by name): each keeps its own dtype and its bytes are streamed by
    /// <see cref="RawTensor.WriteTo"/>, so a checkpoint can be copied or trimmed without TorchSharp and without holding it
    /// in memory. Atomic: a temp file beside <paramref name="path"/>, then a move.
    /// </summary>
    public static void WriteRaw(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.Name());
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.ByteLength;
            }

            json.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 so every tensor stays aligned for memory mapping.
        var header = stream.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        header.CopyTo(headerBytes, 0);
        headerBytes.AsSpan(header.Length).Fill((byte)' ');

        var temp = path + $".{Environment.ProcessId}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
                file.Write(length);
                file.Write(headerBytes);
                foreach (var tensor in ordered)
                {
                    var before = file.Position;
                    tensor.WriteTo(file);
                    if (file.Position - before != tensor.ByteLength)
                    {
                        throw new InvalidOperationException($"tensor '{tensor.Name}' wrote {file.Position - before} bytes, its header says {tensor.ByteLength}");
                    }
                }
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
