using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyFlops
    {
        /// <summary><c>gqa</c> or <c>paper</c>.</summary>
        [DataMember(Name = "convention")] public string Convention { get; set; } = "";

        [DataMember(Name = "unpruned")] public double Unpruned { get; set; }

        [DataMember(Name = "pruned")] public double Pruned { get; set; }

        [DataMember(Name = "projections")] public double Projections { get; set; }

        [DataMember(Name = "attention")] public double Attention { get; set; }

        [DataMember(Name = "mlp")] public double Mlp { get; set; }
    }
}
