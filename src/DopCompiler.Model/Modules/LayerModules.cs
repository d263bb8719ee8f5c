namespace DopCompiler.Model.Modules;

/// <summary>Which modules of a decoder layer a forward pass needs.</summary>
[Flags]
public enum LayerModules
{
    None = 0,
    Attention = 1,
    Mlp = 2,
    All = Attention | Mlp,
}
