using StbImageSharp;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Inputs.Images;

/// <summary>Header checks and decoding of PNG/JPEG (and the other formats stb_image reads), managed code only.</summary>
public static class ImageFile
{
    /// <summary>Largest width or height accepted; bigger images are refused before decoding.</summary>
    public const int MaxSide = 8192;

    /// <summary>Reads only the header; a diagnostic when the file is missing, not an image, or too large.</summary>
    public static SpecDiagnostic? CheckHeader(string path, string? reportFile = null, int line = 0, int column = 0)
    {
        var file = reportFile ?? path;
        if (!File.Exists(path))
        {
            return SpecDiagnostic.At(SpecDiagnosticCodes.ImageNotFound, file, line, column, $"Image '{path}' does not exist.");
        }

        if (RegularFiles.Problem(path, file, line, column) is { } irregular)
        {
            return irregular;
        }

        try
        {
            using var stream = File.OpenRead(path);
            if (CheckInfo(ImageInfo.FromStream(stream), path, file, line, column) is { } problem)
            {
                return problem;
            }

            // stb_image ignores PNG chunk checksums: a corrupted file would decode to wrong pixels without a word.
            stream.Position = 0;
            return PngChunks.Problem(stream) is { } damage
                ? SpecDiagnostic.At(SpecDiagnosticCodes.ImageDecode, file, line, column, $"Image '{path}' is a damaged PNG: {damage}.")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SpecDiagnostic.At(SpecDiagnosticCodes.ImageDecode, file, line, column, $"Cannot read image '{path}': {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // stb_image signals a malformed header by throwing; report it as a decode error.
            return SpecDiagnostic.At(SpecDiagnosticCodes.ImageDecode, file, line, column, $"Image '{path}' cannot be decoded: {e.Message}");
        }
    }

    /// <summary>Decodes to 8-bit RGB (grey is replicated, alpha dropped, as PIL's <c>convert("RGB")</c> does).</summary>
    /// <exception cref="SpecException">DOP033 missing file, DOP034 not decodable, DOP035 too large.</exception>
    public static RgbImage DecodeRgb(string path)
    {
        if (CheckHeader(path) is { } problem)
        {
            throw new SpecException(problem);
        }

        try
        {
            var bytes = File.ReadAllBytes(path);
            var result = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
            return new RgbImage { Width = result.Width, Height = result.Height, Pixels = result.Data };
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException or IOException)
        {
            throw new SpecException(
                SpecDiagnostic.At(SpecDiagnosticCodes.ImageDecode, path, 0, 0, $"Image '{path}' cannot be decoded: {e.Message}"), e);
        }
    }

    private static SpecDiagnostic? CheckInfo(ImageInfo? info, string path, string file, int line, int column)
    {
        if (info is not { } header)
        {
            return SpecDiagnostic.At(
                SpecDiagnosticCodes.ImageDecode, file, line, column, $"'{path}' is not a supported image (PNG, JPEG, BMP, TGA, GIF, PSD, HDR).");
        }

        if (header.Width <= 0 || header.Height <= 0)
        {
            return SpecDiagnostic.At(SpecDiagnosticCodes.ImageDecode, file, line, column, $"Image '{path}' has no pixels ({header.Width}×{header.Height}).");
        }

        if (header.Width > MaxSide || header.Height > MaxSide)
        {
            return SpecDiagnostic.At(
                SpecDiagnosticCodes.ImageTooLarge, file, line, column,
                $"Image '{path}' is {header.Width}×{header.Height} pixels; at most {MaxSide} on a side is accepted.");
        }

        return null;
    }
}
