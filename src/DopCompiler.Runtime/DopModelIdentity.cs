using DopCompiler.Model;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Modules;
using DopCompiler.Inputs.Hashing;

namespace DopCompiler.Runtime;

/// <summary>
/// Checks that a model folder is the one a generated class's policy was made from, so a different checkpoint with the
/// same shape gives an error rather than quietly wrong answers.
/// </summary>
public static class DopModelIdentity
{
    /// <summary>
    /// The folder's source-model hash: a trimmed checkpoint's <c>dop_source_model_hash</c> metadata (cheap: one header
    /// read), else the content hash of config.json and the safetensors files (<see cref="ModelHash.Of"/>: reads the weights once).
    /// </summary>
    public static (string Hash, bool FromMetadata) HashOf(string modelDirectory)
    {
        var recorded = TrimmedCheckpoint.SourceModelHashOf(modelDirectory);
        if (recorded is not null)
        {
            return (recorded, true);
        }

        return (ModelHash.Of(modelDirectory), false);
    }

    /// <summary>Throws <see cref="DopException"/> (DOP010) naming both hashes when the folder is not the model <paramref name="expectedHash"/> names.</summary>
    public static void Verify(string modelDirectory, string? expectedHash, string? className = null)
    {
        if (string.IsNullOrWhiteSpace(expectedHash))
        {
            return;
        }

        var (actual, fromMetadata) = HashOf(modelDirectory);
        if (!string.Equals(actual, expectedHash, StringComparison.Ordinal))
        {
            var source = fromMetadata ? "a trimmed model made from a model with hash" : "model hash";
            throw new DopException(DiagnosticCodes.ModelHashMismatch,
                $"the model in '{modelDirectory}' is not the one {(className ?? "the generated class")} was compiled for: {source} {actual}, the policy was made for model hash {expectedHash}. "
                + "Load the model the policy was made from (or its trimmed copy in the app's output folder), or rebuild so the search re-runs for this model.",
                modelDirectory);
        }
    }
}
