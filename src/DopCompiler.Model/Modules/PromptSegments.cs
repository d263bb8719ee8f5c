namespace DopCompiler.Model.Modules;

/// <summary>
/// Where a LLaVA prompt's parts lie after the image features are merged in: the system prefix before the image,
/// the image tokens, and the text after them (instruction, then any teacher-forced answer tokens).
/// </summary>
public sealed record PromptSegments(int SystemLength, int ImageLength, int TextLength)
{
    public int Length => SystemLength + ImageLength + TextLength;

    public int ImageStart => SystemLength;

    public int TextStart => SystemLength + ImageLength;
}
