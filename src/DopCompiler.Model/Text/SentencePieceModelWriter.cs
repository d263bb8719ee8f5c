using System.Text;

namespace DopCompiler.Model.Text;

/// <summary>
/// Writes a SentencePiece <c>ModelProto</c> (the <c>tokenizer.model</c> format) for a BPE vocabulary, so a checkpoint that
/// ships its SentencePiece tokenizer only as <c>tokenizer.json</c> loads through the same Microsoft.ML.Tokenizers
/// SentencePiece code (byte fallback, whitespace escaping) as one that ships <c>tokenizer.model</c>.
/// </summary>
/// <remarks>Field numbers from sentencepiece_model.proto: ModelProto.pieces = 1, trainer_spec = 2, normalizer_spec = 3.</remarks>
internal static class SentencePieceModelWriter
{
    /// <summary>sentencepiece_model.proto's SentencePiece.Type.</summary>
    public enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Byte = 6,
    }

    public static byte[] Write(IReadOnlyList<(string Piece, float Score, PieceType Type)> pieces, bool byteFallback, bool addDummyPrefix,
        int unkId, int bosId, int eosId)
    {
        using var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            using var entry = new MemoryStream();
            WriteString(entry, 1, piece);
            WriteTag(entry, 2, 5);
            entry.Write(BitConverter.GetBytes(score)); // little-endian fixed32, as protobuf wants on every supported platform
            WriteVarintField(entry, 3, (int)type);
            WriteBytes(model, 1, entry.ToArray());
        }

        using var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, 2); // model_type: BPE
        WriteVarintField(trainer, 35, byteFallback ? 1 : 0);
        WriteVarintField(trainer, 40, unkId);
        WriteVarintField(trainer, 41, bosId);
        WriteVarintField(trainer, 42, eosId);
        WriteBytes(model, 2, trainer.ToArray());

        using var normalizer = new MemoryStream();
        WriteString(normalizer, 1, "identity");
        WriteVarintField(normalizer, 3, addDummyPrefix ? 1 : 0);
        WriteVarintField(normalizer, 4, 0); // remove_extra_whitespaces: LLaMA's tokenizer keeps them
        WriteVarintField(normalizer, 5, 1); // escape_whitespaces: ' ' → '▁'
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteVarintField(Stream s, int field, int value)
    {
        WriteTag(s, field, 0);
        // Negative int32 values (an id of -1 for "none") are sign-extended to 64 bits, as protobuf encodes int32.
        WriteVarint(s, unchecked((ulong)(long)value));
    }

    private static void WriteString(Stream s, int field, string value) => WriteBytes(s, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }
}
