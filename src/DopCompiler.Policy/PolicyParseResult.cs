namespace DopCompiler.Policy
{
    /// <summary>
    /// What <see cref="PolicySchema.TryParse(byte[])"/> read: a <see cref="Document"/>, or an <see cref="Error"/> kind with
    /// the JSON <see cref="Location"/> it concerns and a one-line <see cref="Message"/> (no file name: the caller adds it).
    /// </summary>
    public sealed class PolicyParseResult
    {
        private PolicyParseResult(PolicyDocument? document, PolicyParseError error, string? location, string? message, int schemaVersion)
        {
            Document = document;
            Error = error;
            Location = location;
            Message = message;
            SchemaVersion = schemaVersion;
        }

        /// <summary>The checked document; null exactly when <see cref="Error"/> is not <see cref="PolicyParseError.None"/>.</summary>
        public PolicyDocument? Document { get; }

        public PolicyParseError Error { get; }

        /// <summary>
        /// The key path the error concerns (<c>schema_version</c>, <c>model.num_layers</c>, <c>groups[1].ranking</c>,
        /// <c>layers</c>, ...); null when it concerns the whole file (empty, malformed JSON).
        /// </summary>
        public string? Location { get; }

        /// <summary>Why the file was refused, in one line; null on success.</summary>
        public string? Message { get; }

        /// <summary>The file's <c>schema_version</c> as read (0 when absent or unreadable JSON).</summary>
        public int SchemaVersion { get; }

        public bool Succeeded => Document != null;

        internal static PolicyParseResult Success(PolicyDocument document) =>
            new PolicyParseResult(document, PolicyParseError.None, null, null, document.SchemaVersion);

        internal static PolicyParseResult Failure(PolicyParseError error, string? location, string message, int schemaVersion = 0) =>
            new PolicyParseResult(null, error, location, message, schemaVersion);
    }
}
