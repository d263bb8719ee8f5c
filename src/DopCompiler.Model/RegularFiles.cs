namespace DopCompiler.Model;

/// <summary>The model layer's use of <see cref="InputFile"/>: a non-regular input is a <see cref="DopException"/> (DOP038).</summary>
internal static class RegularFiles
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
