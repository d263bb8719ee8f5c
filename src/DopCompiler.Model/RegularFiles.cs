namespace DopCompiler.Model;

/// <summary>The model layer's check that an input is a regular file (see src/Shared/InputFile.cs): otherwise a <see cref="DopException"/> (DOP038).</summary>
public static class RegularFiles
{
    /// <summary>Throws when <paramref name="path"/> exists but is not a regular file; a missing file is left to the caller.</summary>
    public static void Check(string path)
    {
        if (InputFile.Irregularity(path) is { } what)
        {
            throw new DopException(InputFile.NotRegularCode, InputFile.Message(path, what), path);
        }
    }
}
