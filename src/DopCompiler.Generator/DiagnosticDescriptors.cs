using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator
{
    /// <summary>Every <c>DOPG0xx</c> the generator reports; docs/generated-code.md lists meaning and fix for each.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "DopCompiler.Generator";

        public static readonly DiagnosticDescriptor NoPolicyYet = new DiagnosticDescriptor(
            "DOPG001", "No DOP policy yet",
            "The policy file '{0}' does not exist yet or cannot be read; no class is generated until the search has written it (dotnet build)",
            Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor MalformedPolicy = new DiagnosticDescriptor(
            "DOPG002", "Malformed DOP policy",
            "The policy file '{0}' cannot be read: {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor SchemaVersion = new DiagnosticDescriptor(
            "DOPG003", "DOP policy schema version mismatch",
            "The policy file '{0}' has schema_version {1}; this generator reads versions {2}. Re-run the search (dotnet build -p:DopSearch=always) to regenerate it.",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidClassName = new DiagnosticDescriptor(
            "DOPG004", "Invalid generated class name",
            "'{0}' (DopClassName of '{1}') is not a valid C# class name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidNamespace = new DiagnosticDescriptor(
            "DOPG005", "Invalid generated namespace",
            "'{0}' (DopNamespace of '{1}') is not a valid C# namespace",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidVisibility = new DiagnosticDescriptor(
            "DOPG006", "Invalid generated class visibility",
            "DopVisibility of '{1}' is '{0}'; use 'public' or 'internal'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InconsistentPolicy = new DiagnosticDescriptor(
            "DOPG007", "Inconsistent DOP policy",
            "The policy file '{0}' is inconsistent: {1}. Re-run the search to regenerate it.",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedGroups = new DiagnosticDescriptor(
            "DOPG008", "Unsupported token groups",
            "The policy file '{0}' has token groups ({1}); a generated class supports the LLaVA layouts 'system, image, text' and 'system, image_key, image_rest, text'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateClass = new DiagnosticDescriptor(
            "DOPG009", "Duplicate generated class",
            "The policy files '{0}' and '{1}' both generate '{2}'; give one of them another DopClassName or DopNamespace",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor RuntimeMissing = new DiagnosticDescriptor(
            "DOPG010", "DopCompiler.Runtime is not referenced",
            "The class generated from '{0}' needs DopCompiler.Runtime; add a reference to it (the DopCompiler package does this)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NoModuleInitializer = new DiagnosticDescriptor(
            "DOPG011", "No module initializer available",
            "System.Runtime.CompilerServices.ModuleInitializerAttribute is not available to this compilation; call DopCompiler.Runtime.DopBootstrap.Initialize() at start-up, before any TorchSharp call",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ModelNameMismatch = new DiagnosticDescriptor(
            "DOPG012", "DOP policy made for another model",
            "The policy file '{0}' was made for model '{1}' but the project names model '{2}'; the search re-runs on the next full build",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        private static readonly Dictionary<string, DiagnosticDescriptor> All = new[]
        {
            NoPolicyYet, MalformedPolicy, SchemaVersion, InvalidClassName, InvalidNamespace, InvalidVisibility,
            InconsistentPolicy, UnsupportedGroups, DuplicateClass, RuntimeMissing, NoModuleInitializer, ModelNameMismatch,
        }.ToDictionary(d => d.Id);

        public static DiagnosticDescriptor ById(string id) => All[id];
    }
}
