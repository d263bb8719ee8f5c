namespace DopCompiler.Spec;

public enum DeviceKind
{
    Auto,
    Cpu,
    Cuda,
}
