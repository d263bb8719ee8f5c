namespace DopCompiler.TestFixtures;

/// <summary>The tiny anyres layouts the tests share: tiles of 28 px, patches of 7 (16 tokens a tile).</summary>
public static class TinyAnyresOptions
{
    /// <summary>LLaVA-NeXT: CLIP, LLaMA, the pinpoints [[28,56],[56,28],[56,56],[84,28],[28,84]].</summary>
    public static TinyLlavaOptions Next { get; } = TinySearchProject.DefaultOptions with
    {
        ImageSize = 28, PatchSize = 7, GridPinpoints = [(28, 56), (56, 28), (56, 56), (84, 28), (28, 84)],
    };

    /// <summary>LLaVA-OneVision: SigLIP, Qwen2 (rope_theta 1e6), 3 × 3 pinpoints, anyres_max_2 (large grids shrunk).</summary>
    public static TinyLlavaOptions Onevision { get; } = TinySearchProject.DefaultOptions with
    {
        ImageSize = 28, PatchSize = 7, VisionType = "siglip", TextType = "qwen2", FeatureStrategy = "full", VisionFeatureLayer = -1,
        GridPinpoints = [(28, 28), (28, 56), (28, 84), (56, 28), (56, 56), (56, 84), (84, 28), (84, 56), (84, 84)],
        VisionAspectRatio = "anyres_max_2", RopeTheta = 1000000.0,
    };
}
