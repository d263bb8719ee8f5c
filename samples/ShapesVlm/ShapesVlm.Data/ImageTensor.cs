namespace ShapesVlm.Data;

/// <summary>Turns rendered RGB bytes into the float layout a vision encoder takes.</summary>
public static class ImageTensor
{
    /// <summary>Channels, height, width of the tensor <see cref="ToChw"/> returns.</summary>
    public static readonly int[] Shape = [3, Scene.ImageSize, Scene.ImageSize];

    /// <summary>HWC bytes → CHW floats in [0, 1] (value / 255); <c>[3, 192, 192]</c> flattened.</summary>
    public static float[] ToChw(ReadOnlySpan<byte> rgbHwc)
    {
        if (rgbHwc.Length != SceneRenderer.RgbByteCount)
        {
            throw new ArgumentException($"Expected {SceneRenderer.RgbByteCount} bytes, got {rgbHwc.Length}.", nameof(rgbHwc));
        }

        const int plane = Scene.ImageSize * Scene.ImageSize;
        var chw = new float[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            chw[p] = rgbHwc[3 * p] / 255f;
            chw[plane + p] = rgbHwc[(3 * p) + 1] / 255f;
            chw[(2 * plane) + p] = rgbHwc[(3 * p) + 2] / 255f;
        }

        return chw;
    }
}
