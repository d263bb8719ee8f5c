using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyGroup
    {
        [DataMember(Name = "name")] public string Name { get; set; } = "";

        /// <summary><c>system</c>, <c>image</c>, <c>image_key</c>, <c>image_rest</c> or <c>text</c>: which part of the prompt.</summary>
        [DataMember(Name = "source")] public string Source { get; set; } = "";

        [DataMember(Name = "prunable")] public bool Prunable { get; set; }

        /// <summary>Mean token count over the validation set (the budget is priced at this layout).</summary>
        [DataMember(Name = "mean_tokens")] public double MeanTokens { get; set; }

        /// <summary>Mean count of this group's tokens that are never pruned (the last prompt position, teacher-forced answer tokens).</summary>
        [DataMember(Name = "mean_always_kept")] public double MeanAlwaysKept { get; set; }

        /// <summary>For a [CLS]-ranked image split: the share of image tokens in this group; 0 otherwise.</summary>
        [DataMember(Name = "image_fraction", EmitDefaultValue = false)] public double ImageFraction { get; set; }

        /// <summary>
        /// For the halves of an image split: the order image tokens are taken in, <c>spread</c> (coarse to fine over the
        /// patch grid); null (absent) for the vision encoder's [CLS] attention order. Schema version 2.
        /// </summary>
        [DataMember(Name = "ranking", EmitDefaultValue = false)] public string? Ranking { get; set; }
    }
}
