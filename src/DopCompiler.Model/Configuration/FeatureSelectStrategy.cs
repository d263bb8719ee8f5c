namespace DopCompiler.Model.Configuration;

/// <summary>LLaVA's <c>vision_feature_select_strategy</c>: drop the [CLS] feature (<c>default</c>) or keep it (<c>full</c>).</summary>
public enum FeatureSelectStrategy
{
    Default,
    Full,
}
