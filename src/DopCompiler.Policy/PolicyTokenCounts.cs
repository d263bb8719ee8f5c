using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyTokenCounts
    {
        /// <summary>The image group as the spec names it (before the <c>_key</c>/<c>_rest</c> split).</summary>
        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Image tokens per image when all are kept (D = 0 there).</summary>
        [DataMember(Name = "image_tokens")] public int ImageTokens { get; set; }

        /// <summary>The grid's counts, ascending.</summary>
        [DataMember(Name = "counts")] public List<int> Counts { get; set; } = new List<int>();

        /// <summary>Measured D at each count (same order as <see cref="Counts"/>).</summary>
        [DataMember(Name = "kl")] public List<double> Kl { get; set; } = new List<double>();
    }
}
