namespace ShapesVlm.Train;

/// <summary>The checkpoint families the trainer builds (<c>--layout</c>).</summary>
internal static class ModelLayout
{
    /// <summary>LLaVA-1.5: CLIP tower ([CLS], pre-layernorm, bias-free patch conv, quick_gelu) + LLaMA decoder (no biases).</summary>
    public const string Llava15 = "llava-1.5";

    /// <summary>
    /// llava-interleave-qwen's layout: SigLIP tower (biased patch conv, no [CLS], no pre-layernorm, gelu_pytorch_tanh) +
    /// Qwen2 decoder (q/k/v biases, o_proj and MLP without).
    /// </summary>
    public const string SiglipQwen2 = "siglip-qwen2";

    public static string Parse(string value) =>
        value is Llava15 or SiglipQwen2 ? value : throw new ArgumentException($"--layout takes {Llava15} or {SiglipQwen2}, not '{value}'");
}
