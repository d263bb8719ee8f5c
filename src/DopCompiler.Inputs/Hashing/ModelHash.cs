namespace DopCompiler.Inputs.Hashing;

/// <summary>
/// The content hash of a model folder that policies record (<c>model.hash</c>) and generated classes check on load:
/// SHA-256 over config.json, each safetensors file (name and contents, ordinal order) and the shard index when present.
/// No TorchSharp: the tool, <c>dop verify</c> and the runtime all compute it the same way.
/// </summary>
public static class ModelHash
{
    /// <summary>The shard index file name of a sharded Hugging Face checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>SHA-256 over config.json and the safetensors files (what the weights are, not where they are).</summary>
    public static string Of(string folder)
    {
        using var builder = new ContentHashBuilder();
        builder.AddFile(Path.Combine(folder, "config.json"));
        foreach (var file in Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            builder.AddString(Path.GetFileName(file)).AddFile(file);
        }

        var index = Path.Combine(folder, IndexFileName);
        if (File.Exists(index))
        {
            builder.AddFile(index);
        }

        return builder.ToHex();
    }
}
