using System.Globalization;

namespace ShapesVlm.Data;

/// <summary>
/// The one prompt format of the task, LLaVA style; model, training and evaluation code build prompts only through here.
/// </summary>
/// <remarks>
/// Full training sequence: <c>&lt;s&gt;</c> + <see cref="Build"/>(question) + <see cref="AnswerText"/>(answer) + <c>&lt;/s&gt;</c>.
/// The single <see cref="ImageToken"/> is replaced by <see cref="ImageTokenCount"/> image embeddings inside the model.
/// </remarks>
public static class PromptTemplate
{
    /// <summary>The fixed system text.</summary>
    public const string SystemPrompt = "Answer the question about the shapes in the image.";

    /// <summary>The placeholder for the image's embeddings; a special token of the tokenizer.</summary>
    public const string ImageToken = "<image>";

    /// <summary>Beginning of sequence.</summary>
    public const string BosToken = "<s>";

    /// <summary>End of sequence; follows every answer.</summary>
    public const string EosToken = "</s>";

    /// <summary>Padding.</summary>
    public const string PadToken = "<pad>";

    /// <summary>Unknown character.</summary>
    public const string UnkToken = "<unk>";

    /// <summary>The template; <c>{0}</c> is the question.</summary>
    public const string Format = "SYSTEM: " + SystemPrompt + "\nUSER: " + ImageToken + "\n{0}\nASSISTANT:";

    /// <summary>Vision encoder patch side in pixels.</summary>
    public const int PatchSize = 16;

    /// <summary>Image tokens that replace the one <see cref="ImageToken"/>: (192 / 16)² = 144.</summary>
    public const int ImageTokenCount = (Scene.ImageSize / PatchSize) * (Scene.ImageSize / PatchSize);

    /// <summary>Upper bound on prompt tokens (BOS included, image counted as one token), so image tokens are ≥ 75% of the prompt.</summary>
    public const int MaxPromptTokens = 40;

    /// <summary>The prompt for <paramref name="question"/>, up to and including <c>ASSISTANT:</c>.</summary>
    public static string Build(string question) => string.Format(CultureInfo.InvariantCulture, Format, question);

    /// <summary>The text that follows the prompt: a space and the answer (the EOS token comes after it).</summary>
    public static string AnswerText(string answer) => " " + answer;
}
