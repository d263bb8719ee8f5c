using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>
    /// A quality target's search (<c>budget: max_accuracy_drop</c> or <c>max_kl</c>): the target, the chosen policy's
    /// measured value, the N-based statistical margin and the frontier candidates measured on the way. Absent for cost
    /// budgets, so their files are unchanged.
    /// </summary>
    [DataContract]
    public sealed class PolicyQuality
    {
        /// <summary><c>max_accuracy_drop</c> or <c>max_kl</c>.</summary>
        [DataMember(Name = "kind")] public string Kind { get; set; } = "";

        [DataMember(Name = "target")] public double Target { get; set; }

        /// <summary>What "cheapest" was priced in: <c>flops</c> or <c>latency</c> (the time model's prediction).</summary>
        [DataMember(Name = "price")] public string Price { get; set; } = "";

        /// <summary>The chosen policy's measured accuracy drop (a share) or joint KL; 0 for the unpruned model (not measured).</summary>
        [DataMember(Name = "measured")] public double Measured { get; set; }

        /// <summary>The unpruned model's exact-match accuracy on the validation answers; absent for <c>max_kl</c>.</summary>
        [DataMember(Name = "unpruned_accuracy", EmitDefaultValue = false)] public double? UnprunedAccuracy { get; set; }

        /// <summary>N, the validation samples each candidate was measured on.</summary>
        [DataMember(Name = "samples")] public int Samples { get; set; }

        /// <summary>The standard error of the measured value at this N (of an accuracy difference at the target, or of the mean KL).</summary>
        [DataMember(Name = "standard_error")] public double StandardError { get; set; }

        /// <summary>1.96 standard errors: a target below it cannot be told from noise at this N.</summary>
        [DataMember(Name = "margin_95")] public double Margin95 { get; set; }

        /// <summary>Policies on the walked frontier, cheapest first, the unpruned model last.</summary>
        [DataMember(Name = "frontier_size")] public int FrontierSize { get; set; }

        /// <summary>The chosen policy's position on the frontier (0 = cheapest).</summary>
        [DataMember(Name = "frontier_position")] public int FrontierPosition { get; set; }

        [DataMember(Name = "candidates_measured")] public int CandidatesMeasured { get; set; }

        /// <summary>The measured candidates in the order the bisection measured them.</summary>
        [DataMember(Name = "candidates")] public List<PolicyQualityCandidate> Candidates { get; set; } = new List<PolicyQualityCandidate>();
    }
}
