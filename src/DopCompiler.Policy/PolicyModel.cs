using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyModel
    {
        /// <summary>Model folder name (not a path: the policy must not depend on where the repo is cloned).</summary>
        [DataMember(Name = "name")] public string Name { get; set; } = "";

        /// <summary>SHA-256 over config.json and the safetensors files' bytes.</summary>
        [DataMember(Name = "hash")] public string Hash { get; set; } = "";

        [DataMember(Name = "model_type")] public string ModelType { get; set; } = "";

        /// <summary>The decoder's q/k/v projections carry biases (Qwen2): priced in the FLOPs; absent (false) for LLaMA.</summary>
        [DataMember(Name = "qkv_bias", EmitDefaultValue = false)] public bool QkvBias { get; set; }

        [DataMember(Name = "num_layers")] public int NumLayers { get; set; }

        [DataMember(Name = "hidden_size")] public int HiddenSize { get; set; }

        [DataMember(Name = "intermediate_size")] public int IntermediateSize { get; set; }

        [DataMember(Name = "num_heads")] public int NumHeads { get; set; }

        [DataMember(Name = "num_kv_heads")] public int NumKeyValueHeads { get; set; }

        [DataMember(Name = "head_dim")] public int HeadDim { get; set; }

        /// <summary>Image tokens per image; 0 when <see cref="ImageTokensVary"/> (or for a plain decoder).</summary>
        [DataMember(Name = "image_tokens")] public int ImageTokens { get; set; }

        /// <summary>
        /// An anyres model (<c>llava_next</c>, <c>llava_onevision</c>): every image has as many tokens as its size gives, so
        /// the class states no count (absent, false, for one-tile models).
        /// </summary>
        [DataMember(Name = "image_tokens_vary", EmitDefaultValue = false)] public bool ImageTokensVary { get; set; }

        [DataMember(Name = "image_token_id")] public int ImageTokenId { get; set; }
    }
}
