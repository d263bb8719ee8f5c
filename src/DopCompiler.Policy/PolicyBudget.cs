using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyBudget
    {
        /// <summary><c>fraction</c>, <c>tflops</c>, <c>latency_fraction</c>, <c>max_accuracy_drop</c> or <c>max_kl</c>.</summary>
        [DataMember(Name = "kind")] public string Kind { get; set; } = "";

        [DataMember(Name = "asked")] public double Asked { get; set; }

        /// <summary>Reached value in the same unit as <see cref="Asked"/> (for a quality target: the measured drop or KL).</summary>
        [DataMember(Name = "reached")] public double Reached { get; set; }

        /// <summary>Decoder prefill FLOPs of the policy divided by the unpruned model's.</summary>
        [DataMember(Name = "flops_fraction")] public double FlopsFraction { get; set; }
    }
}
