using System.Collections.Generic;
using System.Runtime.Serialization;

namespace DopCompiler.Policy
{
    [DataContract]
    public sealed class PolicyCurve
    {
        [DataMember(Name = "module")] public string Module { get; set; } = "";

        [DataMember(Name = "group")] public string Group { get; set; } = "";

        /// <summary>Depths 0..num_layers (every value, interpolated between grid points where not measured).</summary>
        [DataMember(Name = "kl")] public List<double> Kl { get; set; } = new List<double>();

        /// <summary>Depths at which the curve was measured (the rest is interpolated).</summary>
        [DataMember(Name = "measured_depths")] public List<int> MeasuredDepths { get; set; } = new List<int>();
    }
}
