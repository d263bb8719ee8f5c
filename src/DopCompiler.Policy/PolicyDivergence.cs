using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyDivergence
    {
        /// <summary>Sum of the curves at the chosen depths (the additive approximation).</summary>
        [DataMember(Name = "predicted_kl")] public double PredictedKl { get; set; }

        /// <summary>KL of the chosen policy measured on the validation set; negative when not measured.</summary>
        [DataMember(Name = "measured_kl")] public double MeasuredKl { get; set; }

        /// <summary><c>first_answer</c> or <c>teacher_forced</c>.</summary>
        [DataMember(Name = "positions")] public string Positions { get; set; } = "";

        [DataMember(Name = "max_positions")] public int MaxPositions { get; set; }

        [DataMember(Name = "samples")] public int Samples { get; set; }
    }
}
