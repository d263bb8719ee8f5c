namespace DopCompiler.Model.Checkpoints;

/// <summary>Names and sizes of <see cref="SafetensorsDType"/> as the format spells them.</summary>
public static class SafetensorsDTypes
{
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.BF16 or SafetensorsDType.F16 => 2,
        SafetensorsDType.I64 => 8,
        SafetensorsDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool TryParse(string text, out SafetensorsDType dtype)
    {
        switch (text)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            default: dtype = default; return false;
        }
    }

    public static string Name(this SafetensorsDType dtype) => dtype.ToString();
}
