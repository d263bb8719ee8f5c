using System.Buffers.Binary;
using System.Text;

namespace DopCompiler.Model.Native;

/// <summary>
/// Marks version requirements of an ELF64 shared library as weak (<c>VER_FLG_WEAK</c>) in a byte image.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> (GCC 13's libstdc++) only for
/// <c>_ZSt21ios_base_library_initv</c>, a symbol with no relocation. Debian 12 ships libstdc++ up to 3.4.30, so the
/// loader rejects the library although nothing it calls is missing. A weak requirement makes the loader accept a
/// missing version; a symbol that is really missing still fails at binding, so this cannot hide a real problem.
/// Only a private copy is patched, never the NuGet cache or <c>bin/</c>.
/// </remarks>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>
    /// Sets the weak flag on every requirement whose version name satisfies <paramref name="shouldWeaken"/>.
    /// Returns the names patched (empty when nothing matched or the image is not a little-endian ELF64).
    /// </summary>
    public static IReadOnlyList<string> WeakenVersionRequirements(Span<byte> image, Func<string, string, bool> shouldWeaken)
    {
        var patched = new List<string>();
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F'
            || image[4] != 2 /* ELFCLASS64 */ || image[5] != 1 /* little-endian */)
        {
            return patched;
        }

        var sectionHeaderOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(image[0x28..]));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3C..]);
        for (var i = 0; i < count; i++)
        {
            var header = image.Slice(sectionHeaderOffset + (i * entrySize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            var offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]));
            var stringTableIndex = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            var needCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
            var strings = image.Slice(sectionHeaderOffset + (stringTableIndex * entrySize), 64);
            var stringsOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strings[24..]));

            var need = offset;
            for (var n = 0; n < needCount; n++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(image[(need + 2)..]);
                var file = ReadString(image, stringsOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(image[(need + 4)..]));
                var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(image[(need + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    var name = ReadString(image, stringsOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(image[(aux + 8)..]));
                    if (shouldWeaken(file, name))
                    {
                        var flags = BinaryPrimitives.ReadUInt16LittleEndian(image[(aux + 4)..]);
                        BinaryPrimitives.WriteUInt16LittleEndian(image[(aux + 4)..], (ushort)(flags | VerFlgWeak));
                        patched.Add(name);
                    }

                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(image[(aux + 12)..]);
                }

                need += (int)BinaryPrimitives.ReadUInt32LittleEndian(image[(need + 12)..]);
            }
        }

        return patched;
    }

    private static string ReadString(ReadOnlySpan<byte> image, int offset)
    {
        var end = image[offset..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(image.Slice(offset, end));
    }
}
