using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// 'output': the generated class's name and namespace.
public static partial class DopSpecParser
{
    private static readonly string[] OutputKeys = ["class_name", "namespace"];

    private sealed partial class SpecBuilder
    {
        private OutputSpec? Output(YNode? node)
        {
            var className = DopConventions.ClassNameFromSpecFile(path);
            var ns = DopConventions.DefaultNamespace;
            if (node is null)
            {
                return new OutputSpec { ClassName = className, Namespace = ns };
            }

            if (reader.Mapping(node, "'output'", OutputKeys) is not { } map)
            {
                return null;
            }

            var ok = true;
            if (map["class_name"] is { } classNode)
            {
                if (reader.String(classNode, "class_name") is not { } text)
                {
                    ok = false;
                }
                else if (!Identifiers.IsValidIdentifier(text))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, classNode, $"'class_name' '{text}' is not a valid C# identifier.");
                    ok = false;
                }
                else
                {
                    className = text;
                }
            }

            if (map["namespace"] is { } nsNode)
            {
                if (reader.String(nsNode, "namespace") is not { } text)
                {
                    ok = false;
                }
                else if (!Identifiers.IsValidNamespace(text))
                {
                    reader.Report(SpecDiagnosticCodes.InvalidIdentifier, nsNode, $"'namespace' '{text}' is not a valid C# namespace (identifiers joined by dots).");
                    ok = false;
                }
                else
                {
                    ns = text;
                }
            }

            return ok ? new OutputSpec { ClassName = className, Namespace = ns } : null;
        }
    }
}
