using System.Globalization;
using System.Text;

namespace DopCompiler.Cli;

/// <summary>Writes a float32 vector as a NumPy <c>.npy</c> file (format version 1.0), atomically.</summary>
public static class NpyWriter
{
    public static void Write(string path, float[] values)
    {
        var header = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({values.Length},), }}");
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
            writer.Write((ushort)header.Length);
            writer.Write(Encoding.ASCII.GetBytes(header));
            foreach (var v in values)
            {
                writer.Write(v);
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}
