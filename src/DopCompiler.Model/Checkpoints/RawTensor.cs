namespace DopCompiler.Model.Checkpoints;

/// <summary>One tensor as stored bytes for <see cref="SafetensorsWriter.WriteRaw"/>: header fields and a callback writing exactly <see cref="ByteLength"/> bytes.</summary>
public sealed record RawTensor(string Name, SafetensorsDType DType, long[] Shape, long ByteLength, Action<Stream> WriteTo);
