using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyTime
    {
        [DataMember(Name = "unpruned_ms")] public double UnprunedMilliseconds { get; set; }

        [DataMember(Name = "predicted_ms")] public double PredictedMilliseconds { get; set; }

        /// <summary>Identity of the machine the time model was fitted on.</summary>
        [DataMember(Name = "machine")] public string Machine { get; set; } = "";
    }
}
