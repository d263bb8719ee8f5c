using System.Buffers.Binary;
using System.Text;

namespace DopCompiler.TestFixtures;

/// <summary>Safetensors bytes from a literal header and data section, for malformed files the writer never makes.</summary>
public static class RawSafetensors
{
    public static byte[] Build(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
