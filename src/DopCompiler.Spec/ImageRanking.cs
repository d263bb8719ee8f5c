namespace DopCompiler.Spec;

/// <summary>The order an image split takes image tokens in.</summary>
public enum ImageRanking
{
    /// <summary>Highest vision-encoder [CLS] attention first (the paper's choice).</summary>
    Cls,

    /// <summary>Coarse to fine over the patch grid, the same for every image: any prefix covers the image evenly.</summary>
    Spread,
}
