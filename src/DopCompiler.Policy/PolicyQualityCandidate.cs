using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>One frontier policy a quality target measured.</summary>
    [DataContract]
    public sealed class PolicyQualityCandidate
    {
        /// <summary>Its position on the frontier (0 = cheapest).</summary>
        [DataMember(Name = "position")] public int Position { get; set; }

        /// <summary>The policy in one line (<c>attention/image=4 mlp/image=6 n_v=36</c>).</summary>
        [DataMember(Name = "policy")] public string Policy { get; set; } = "";

        /// <summary>Its cost as a share of the unpruned model's, in the target's price (FLOPs or predicted time).</summary>
        [DataMember(Name = "cost_fraction")] public double CostFraction { get; set; }

        [DataMember(Name = "flops_fraction")] public double FlopsFraction { get; set; }

        /// <summary>The measured accuracy drop or joint KL.</summary>
        [DataMember(Name = "measured")] public double Measured { get; set; }

        [DataMember(Name = "meets")] public bool Meets { get; set; }
    }
}
