using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyLayer
    {
        [DataMember(Name = "layer")] public int Layer { get; set; }

        /// <summary>Groups whose attention runs here (queries and keys/values), prompt order.</summary>
        [DataMember(Name = "attention")] public List<string> Attention { get; set; } = new List<string>();

        /// <summary>Groups whose MLP runs here, prompt order.</summary>
        [DataMember(Name = "mlp")] public List<string> Mlp { get; set; } = new List<string>();

        /// <summary>Groups that leave the sequence at the start of this layer (never read again: dead work removed).</summary>
        [DataMember(Name = "dropped")] public List<string> Dropped { get; set; } = new List<string>();
    }
}
