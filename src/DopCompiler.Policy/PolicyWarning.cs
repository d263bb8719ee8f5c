using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>One coded warning the search reported for this policy (repeated by the tool while the policy is current).</summary>
    [DataContract]
    public sealed class PolicyWarning
    {
        [DataMember(Name = "code")] public string Code { get; set; } = "";

        [DataMember(Name = "message")] public string Message { get; set; } = "";
    }
}
