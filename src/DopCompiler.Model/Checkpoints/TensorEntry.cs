namespace DopCompiler.Model.Checkpoints;

/// <summary>One tensor's header record: dtype, shape and byte range relative to the start of the data section.</summary>
public sealed record TensorEntry(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public long ByteLength => End - Begin;
}
