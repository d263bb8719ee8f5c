namespace DopCompiler.Spec;

/// <summary>The part of a LLaVA-style prompt a token group is drawn from.</summary>
public enum TokenSource
{
    /// <summary>Prompt positions before the image token.</summary>
    System,

    /// <summary>The projected vision tokens that replace the image token.</summary>
    Image,

    /// <summary>Prompt positions after the image token.</summary>
    Text,
}
