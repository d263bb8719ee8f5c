namespace DopCompiler.Policy
{
    /// <summary>Why a policy file was refused by <see cref="PolicySchema.TryParse(byte[])"/>: the first check that failed.</summary>
    public enum PolicyParseError
    {
        /// <summary>Nothing wrong: the result holds a document.</summary>
        None = 0,

        /// <summary>The file holds no JSON value (or <c>null</c>).</summary>
        Empty,

        /// <summary>Not well-formed JSON, or a value of the wrong JSON type for its key.</summary>
        MalformedJson,

        /// <summary>The document has no <c>schema_version</c>.</summary>
        MissingVersion,

        /// <summary><c>schema_version</c> is outside <see cref="PolicySchema.OldestReadable"/>..<see cref="PolicySchema.Version"/>.</summary>
        UnreadableVersion,

        /// <summary>A section, or a required entry or field of one, is absent.</summary>
        MissingSection,

        /// <summary>The model section has no positive <c>num_layers</c>.</summary>
        InvalidModel,

        /// <summary>A group's <c>ranking</c> is a word this DopCompiler does not know.</summary>
        UnknownRanking,

        /// <summary>The top-level <c>precision</c> is neither <c>fp32</c> nor <c>bf16</c>.</summary>
        UnknownPrecision,

        /// <summary>The <c>layers</c> table does not have one entry per model layer.</summary>
        InconsistentLayers,
    }
}
