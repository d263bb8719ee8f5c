namespace DopCompiler.Spec;

/// <summary>A language-decoder module kind whose per-group work can be pruned.</summary>
public enum PrunableModule
{
    Attention,
    Mlp,
}
