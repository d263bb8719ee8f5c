using System.Buffers.Binary;

namespace DopCompiler.Inputs.Images;

/// <summary>Walks a PNG's chunks and checks each one's CRC-32 (which stb_image skips), up to <c>IEND</c>.</summary>
internal static class PngChunks
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] Table = MakeTable();

    /// <summary>
    /// Null when <paramref name="stream"/> is not a PNG (other formats are left to the decoder) or every chunk is intact;
    /// otherwise what is wrong ("chunk IDAT at byte 33 has CRC 0x... but its data gives 0x...").
    /// </summary>
    public static string? Problem(Stream stream)
    {
        Span<byte> head = stackalloc byte[8];
        if (stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8 || !head.SequenceEqual(Signature))
        {
            return null;
        }

        var offset = 8L;
        var buffer = new byte[1 << 16];
        while (true)
        {
            if (stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8)
            {
                return $"the file ends at byte {offset} without an IEND chunk";
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            var type = System.Text.Encoding.ASCII.GetString(head[4..]);
            if (length > int.MaxValue)
            {
                return $"chunk {type} at byte {offset} claims {length} bytes";
            }

            var crc = Update(0xFFFFFFFFu, head[4..]);
            var left = (long)length;
            while (left > 0)
            {
                var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0)
                {
                    return $"chunk {type} at byte {offset} is cut off";
                }

                crc = Update(crc, buffer.AsSpan(0, read));
                left -= read;
            }

            var stored = head[..4];
            if (stream.ReadAtLeast(stored, 4, throwOnEndOfStream: false) < 4)
            {
                return $"chunk {type} at byte {offset} is cut off before its CRC";
            }

            var expected = BinaryPrimitives.ReadUInt32BigEndian(stored);
            crc ^= 0xFFFFFFFFu;
            if (crc != expected)
            {
                return $"chunk {type} at byte {offset} has CRC 0x{expected:x8} but its bytes give 0x{crc:x8}";
            }

            if (type == "IEND")
            {
                return null;
            }

            offset += 12 + length;
        }
    }

    private static uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
