namespace DopCompiler.Inputs.Images;

/// <summary>Decoded 8-bit RGB pixels, row-major, interleaved: <c>[height, width, 3]</c>.</summary>
public sealed record RgbImage
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    /// <summary><c>[height, width, 3]</c> bytes.</summary>
    public required byte[] Pixels { get; init; }
}
