namespace DopCompiler.Inputs.Images;

/// <summary>The resampling filters of <c>preprocessor_config.json</c>'s <c>resample</c> (PIL's numbering).</summary>
public enum ResampleFilter
{
    Bilinear = 2,
    Bicubic = 3,
}
