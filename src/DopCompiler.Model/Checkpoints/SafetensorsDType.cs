namespace DopCompiler.Model.Checkpoints;

/// <summary>Storage dtypes of a safetensors file that checkpoints use.</summary>
public enum SafetensorsDType
{
    F32,
    BF16,
    F16,
    I64,
    I32,
    U8,
}
