using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyDepth
    {
        /// <summary><c>attention</c> or <c>mlp</c>.</summary>
        [DataMember(Name = "module")] public string Module { get; set; } = "";

        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Pruned in layers [num_layers − depth, num_layers).</summary>
        [DataMember(Name = "depth")] public int Depth { get; set; }
    }
}
