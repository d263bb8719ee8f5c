using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    /// <summary>The generated class's names, resolved by the tool from the spec's <c>output</c> section and its defaults.</summary>
    [DataContract]
    public sealed class PolicyOutput
    {
        [DataMember(Name = "class_name")] public string ClassName { get; set; } = "";

        [DataMember(Name = "namespace")] public string Namespace { get; set; } = "";
    }
}
