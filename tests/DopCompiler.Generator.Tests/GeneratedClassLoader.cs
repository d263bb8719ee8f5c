using System.Reflection;
using System.Text;
using DopCompiler.Policy;
using DopCompiler.Runtime;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator.Tests;

/// <summary>The generator on a policy document, its output compiled with this process's references, the class loaded.</summary>
internal static class GeneratedClassLoader
{
    /// <summary>The class <paramref name="ns"/>.<paramref name="className"/> loaded on <paramref name="modelFolder"/>, and the generated source.</summary>
    public static (DopCompiledModel Model, string Source) Load(PolicyDocument document, string className, string ns, string modelFolder)
    {
        var item = PolicyItem.For(className + ".policy.json", Encoding.UTF8.GetString(PolicySchema.Serialize(document)), className: className, ns: ns);
        var (result, output, _) = GeneratorHarness.Run([item]);
        Assert.Empty(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        using var image = new MemoryStream();
        var emit = output.Emit(image);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var type = Assembly.Load(image.ToArray()).GetType(ns + "." + className, throwOnError: true)!;
        var load = type.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, [typeof(string)])!;
        var source = string.Concat(result.GeneratedSources.Select(s => s.SourceText.ToString()));
        return ((DopCompiledModel)load.Invoke(null, [modelFolder])!, source);
    }
}
