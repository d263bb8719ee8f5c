using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using DopCompiler.Generator.Emit;
using DopCompiler.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DopCompiler.Generator
{
    /// <summary>
    /// Emits one partial class per policy file: AdditionalFiles items whose metadata <c>DopPolicy</c> is <c>true</c>
    /// (with <c>DopClassName</c>, <c>DopNamespace</c>, <c>DopVisibility</c>, <c>DopModelName</c>, <c>DopModelFolder</c>; see docs/generated-code.md).
    /// Bad input becomes a <c>DOPG0xx</c> diagnostic; the generator never throws.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class DopPolicyGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline's steps (for incremental-caching tests).</summary>
        public const string InputStep = "DopPolicyInput";
        public const string ReadStep = "DopPolicyRead";
        public const string FactsStep = "DopCompilationFacts";

        private const string MetadataPrefix = "build_metadata.AdditionalFiles.";

        internal static readonly string Version = ReadVersion();

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var inputs = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select((pair, cancellationToken) => ReadInput(pair.Left, pair.Right, cancellationToken))
                .Where(input => input is not null)
                .WithTrackingName(InputStep);

            var results = inputs
                .Select((input, cancellationToken) => PolicyReader.Read(input!, cancellationToken))
                .WithTrackingName(ReadStep);

            var facts = context.CompilationProvider
                .Select((compilation, _) => new CompilationFacts(
                    compilation.GetTypeByMetadataName("DopCompiler.Runtime.DopCompiledModel") is not null,
                    compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.ModuleInitializerAttribute") is not null))
                .WithTrackingName(FactsStep);

            context.RegisterSourceOutput(results.Collect().Combine(facts), (spc, pair) => Emit(spc, pair.Left, pair.Right));

            // Before the first build there is no policy to hand over: the targets list the policies to come in the
            // DopPendingPolicies property ("path|ClassName;..."), and each gets info DOPG001 instead of bare CS0103s.
            var pending = context.AnalyzerConfigOptionsProvider
                .Select((provider, _) => provider.GlobalOptions.TryGetValue("build_property.DopPendingPolicies", out var value) ? value ?? "" : "");
            context.RegisterSourceOutput(pending, ReportPending);
        }

        private static void ReportPending(SourceProductionContext context, string pending)
        {
            foreach (var entry in pending.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).Where(e => e.Length > 0).Distinct().OrderBy(e => e, StringComparer.Ordinal))
            {
                var bar = entry.LastIndexOf('|');
                var path = bar < 0 ? entry : entry.Substring(0, bar);
                var className = bar < 0 ? "" : entry.Substring(bar + 1);
                context.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.NoPolicyYet, null, Path.GetFileName(path), className).ToDiagnostic());
            }
        }

        private static PolicyInput? ReadInput(AdditionalText text, AnalyzerConfigOptionsProvider provider, System.Threading.CancellationToken cancellationToken)
        {
            var options = provider.GetOptions(text);
            if (!options.TryGetValue(MetadataPrefix + "DopPolicy", out var flag) || !string.Equals(flag.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            string? Metadata(string name) => options.TryGetValue(MetadataPrefix + name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
            provider.GlobalOptions.TryGetValue("build_property.RootNamespace", out var rootNamespace);
            string? content;
            try
            {
                content = text.GetText(cancellationToken)?.ToString();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is InvalidDataException)
            {
                content = null;
            }

            return new PolicyInput(text.Path, Path.GetFileName(text.Path), content, Metadata("DopClassName"), Metadata("DopNamespace"),
                Metadata("DopVisibility"), Metadata("DopModelName"), string.IsNullOrWhiteSpace(rootNamespace) ? null : rootNamespace,
                Metadata("DopModelFolder"), Metadata("DopStale"));
        }

        private static void Emit(SourceProductionContext context, ImmutableArray<PolicyResult> results, CompilationFacts facts)
        {
            // Sorted, so the output and the diagnostics do not depend on the order MSBuild lists the files in.
            var ordered = results.OrderBy(r => r.FileName, StringComparer.Ordinal).ThenBy(r => r.Path, StringComparer.Ordinal).ToArray();
            foreach (var result in ordered)
            {
                foreach (var diagnostic in result.Diagnostics)
                {
                    context.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            }

            var emitted = new Dictionary<string, PolicyResult>(StringComparer.Ordinal);
            foreach (var result in ordered)
            {
                if (result.Class is not { } spec)
                {
                    continue;
                }

                var fullName = spec.Namespace + "." + spec.ClassName;
                if (emitted.TryGetValue(fullName, out var first))
                {
                    context.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateClass, result.Path, first.FileName, result.FileName, fullName).ToDiagnostic());
                    continue;
                }

                if (!facts.HasRuntime)
                {
                    context.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.RuntimeMissing, result.Path, result.FileName).ToDiagnostic());
                    continue;
                }

                emitted.Add(fullName, result);
                context.AddSource(fullName + ".g.cs", SourceText.From(ClassEmitter.Emit(spec, Version), Encoding.UTF8));
            }

            if (emitted.Count == 0)
            {
                return;
            }

            if (facts.HasModuleInitializer)
            {
                context.AddSource(BootstrapEmitter.HintName, SourceText.From(BootstrapEmitter.Emit(Version), Encoding.UTF8));
            }
            else
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NoModuleInitializer, Location.None));
            }
        }

        private static string ReadVersion()
        {
            var informational = typeof(DopPolicyGenerator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return (informational ?? "0.0.0").Split('+')[0];
        }
    }
}
