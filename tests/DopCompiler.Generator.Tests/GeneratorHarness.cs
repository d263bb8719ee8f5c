extern alias generator;

using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using generator::DopCompiler.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DopCompiler.Generator.Tests;

/// <summary>One AdditionalFiles item as MSBuild would hand it to the compiler: path, text (null: absent) and metadata.</summary>
internal sealed record PolicyItem(string Path, string? Text, IReadOnlyDictionary<string, string> Metadata)
{
    public static PolicyItem For(string fileName, string? text, string? className = "TinyDop", string? ns = "MyApp.Models", string? visibility = "public", string? modelName = null, string policyFlag = "true", string? stale = null)
    {
        var metadata = new Dictionary<string, string> { ["DopPolicy"] = policyFlag };
        void Add(string key, string? value)
        {
            if (value is not null)
            {
                metadata[key] = value;
            }
        }

        Add("DopClassName", className);
        Add("DopNamespace", ns);
        Add("DopVisibility", visibility);
        Add("DopModelName", modelName);
        Add("DopStale", stale);
        return new PolicyItem("/project/obj/dop/" + fileName, text, metadata);
    }
}

/// <summary>Runs the generator through <see cref="CSharpGeneratorDriver"/> with references from this process (no package downloads).</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> AllReferences = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(bool withRuntime = true, string source = "namespace App { public static class Program { } }")
    {
        var references = AllReferences.Value.Where(r => withRuntime || !Path.GetFileName(r.Display!).Equals("DopCompiler.Runtime.dll", StringComparison.OrdinalIgnoreCase));
        return CSharpCompilation.Create("DopGeneratorTestApp",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "/project/Program.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static AdditionalText Text(PolicyItem item) => new InMemoryAdditionalText(item.Path, item.Text);

    public static GeneratorDriver Driver(IEnumerable<PolicyItem> items, string? rootNamespace = null, IEnumerable<AdditionalText>? texts = null,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        var list = items.ToArray();
        var additional = (texts ?? list.Select(Text)).ToImmutableArray();
        var global = new Dictionary<string, string>();
        foreach (var property in properties ?? new Dictionary<string, string>())
        {
            global["build_property." + property.Key] = property.Value;
        }

        if (rootNamespace is not null)
        {
            global["build_property.RootNamespace"] = rootNamespace;
        }

        var provider = new TestOptionsProvider(
            list.ToDictionary(i => i.Path, i => (IReadOnlyDictionary<string, string>)i.Metadata.ToDictionary(m => "build_metadata.AdditionalFiles." + m.Key, m => m.Value)),
            global);
        return CSharpGeneratorDriver.Create([new DopPolicyGenerator().AsSourceGenerator()], additional, ParseOptions, provider,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    public static (GeneratorRunResult Result, Compilation Output, GeneratorDriver Driver) Run(IEnumerable<PolicyItem> items, bool withRuntime = true, string? rootNamespace = null,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        var driver = Driver(items, rootNamespace, properties: properties).RunGeneratorsAndUpdateCompilation(Compilation(withRuntime), out var output, out _);
        return (driver.GetRunResult().Results.Single(), output, driver);
    }

    public static string Source(GeneratorRunResult result, string hintName) =>
        result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    private sealed class InMemoryAdditionalText(string path, string? text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText? GetText(CancellationToken cancellationToken = default) => text is null ? null : SourceText.From(text, Encoding.UTF8);
    }

    private sealed class TestOptionsProvider(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> perFile, IReadOnlyDictionary<string, string> global)
        : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(global);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new DictionaryOptions(new Dictionary<string, string>());

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
            new DictionaryOptions(perFile.TryGetValue(textFile.Path, out var values) ? values : new Dictionary<string, string>());
    }

    private sealed class DictionaryOptions(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
