namespace DopCompiler.Spec;

public enum PrecisionKind
{
    Auto,
    Fp32,
    Bf16,
}
