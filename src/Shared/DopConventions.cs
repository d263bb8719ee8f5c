using System;
using System.IO;
using System.Text;

namespace DopCompiler;

/// <summary>
/// The naming conventions the spec parser, the MSBuild tasks and the generator must agree on, in one place. Compiled by
/// link into DopCompiler.Spec, DopCompiler.Tasks and DopCompiler.Generator (the latter two are netstandard2.0 and
/// reference no project). The MSBuild props repeat <see cref="DefaultVisibility"/> (<c>Visibility</c> metadata):
/// tests/DopCompiler.Architecture.Tests/ConventionsTests checks they agree.
/// </summary>
internal static class DopConventions
{
    /// <summary>
    /// The generated class's namespace when neither the spec (<c>output.namespace</c>) nor the project says one. The
    /// name the spec, the package's MSBuild metadata and their docs have always promised, so the generator uses it too.
    /// </summary>
    public const string DefaultNamespace = "DopGenerated";

    /// <summary>The generated class's visibility when none is given: what the package's props set and README promises.</summary>
    public const string DefaultVisibility = "internal";

    /// <summary>"image_key" → "ImageKey", "shapes-vlm" → "ShapesVlm": letters and digits kept, each word's first letter upper-cased.</summary>
    public static string PascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        var startOfWord = true;
        foreach (var c in name)
        {
            if (!char.IsLetterOrDigit(c))
            {
                startOfWord = true;
                continue;
            }

            builder.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = false;
        }

        return builder.ToString();
    }

    /// <summary>"shapes-vlm.dop.yaml" → "ShapesVlmDop": the spec file's name without .yaml/.yml in PascalCase (the spec's default class name).</summary>
    public static string ClassNameFromSpecFile(string path)
    {
        var stem = Path.GetFileName(path);
        foreach (var extension in new[] { ".yaml", ".yml" })
        {
            if (stem.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                stem = stem.Substring(0, stem.Length - extension.Length);
                break;
            }
        }

        var name = PascalCase(stem);
        if (name.Length == 0)
        {
            return "DopModel";
        }

        return char.IsDigit(name[0]) ? "_" + name : name;
    }

    /// <summary>"shapes-vlm" → "ShapesVlmDop": the generator's class name from the policy's model name when no class name is given.</summary>
    public static string ClassNameFromModel(string modelName)
    {
        var name = PascalCase(modelName);
        if (name.Length == 0 || !char.IsLetter(name[0]))
        {
            name = "Model" + name;
        }

        return name + "Dop";
    }
}
