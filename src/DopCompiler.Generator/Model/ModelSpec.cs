namespace DopCompiler.Generator.Model
{
    internal sealed record ModelSpec
    {
        public string Name { get; init; } = "";

        public string Hash { get; init; } = "";

        public string ModelType { get; init; } = "";

        public int NumLayers { get; init; }

        public int HiddenSize { get; init; }

        public int IntermediateSize { get; init; }

        public int NumHeads { get; init; }

        public int NumKeyValueHeads { get; init; }

        public int ImageTokens { get; init; }

        /// <summary>An anyres model: the image-token count follows each image's size, so the class states none.</summary>
        public bool ImageTokensVary { get; init; }

        public int ImageTokenId { get; init; }
    }
}
