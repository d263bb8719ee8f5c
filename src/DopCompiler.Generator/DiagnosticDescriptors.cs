using System.Collections.Generic;
using System.Linq;
using DopCompiler.Policy;
using Microsoft.CodeAnalysis;

namespace DopCompiler.Generator
{
    /// <summary>Every <c>DOPG0xx</c> the generator reports; docs/generated-code.md lists meaning and fix for each.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "DopCompiler.Generator";

        public static readonly DiagnosticDescriptor NoPolicyYet = new DiagnosticDescriptor(
            "DOPG001", "No DOP policy yet",
            "The policy file '{0}' does not exist yet or cannot be read; the class {1} appears after the first build has run the search (dotnet build)",
            Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG001"));

        public static readonly DiagnosticDescriptor MalformedPolicy = new DiagnosticDescriptor(
            "DOPG002", "Malformed DOP policy",
            "The policy file '{0}' cannot be read: {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG002"));

        public static readonly DiagnosticDescriptor SchemaVersion = new DiagnosticDescriptor(
            "DOPG003", "DOP policy schema version mismatch",
            "The policy file '{0}' has schema_version {1}; this generator reads versions {2}. Re-run the search (dotnet build -p:DopSearch=always) to regenerate it.",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG003"));

        public static readonly DiagnosticDescriptor InvalidClassName = new DiagnosticDescriptor(
            "DOPG004", "Invalid generated class name",
            "'{0}' (DopClassName of '{1}') is not a valid C# class name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG004"));

        public static readonly DiagnosticDescriptor InvalidNamespace = new DiagnosticDescriptor(
            "DOPG005", "Invalid generated namespace",
            "'{0}' (DopNamespace of '{1}') is not a valid C# namespace",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG005"));

        public static readonly DiagnosticDescriptor InvalidVisibility = new DiagnosticDescriptor(
            "DOPG006", "Invalid generated class visibility",
            "DopVisibility of '{1}' is '{0}'; use 'public' or 'internal'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG006"));

        public static readonly DiagnosticDescriptor InconsistentPolicy = new DiagnosticDescriptor(
            "DOPG007", "Inconsistent DOP policy",
            "The policy file '{0}' is inconsistent: {1}. Re-run the search to regenerate it.",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG007"));

        public static readonly DiagnosticDescriptor UnsupportedGroups = new DiagnosticDescriptor(
            "DOPG008", "Unsupported token groups",
            "The policy file '{0}' has token groups ({1}); a generated class supports the LLaVA layouts 'system, image, text' and 'system, image_key, image_rest, text'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG008"));

        public static readonly DiagnosticDescriptor DuplicateClass = new DiagnosticDescriptor(
            "DOPG009", "Duplicate generated class",
            "The policy files '{0}' and '{1}' both generate '{2}'; give one of them another DopClassName or DopNamespace",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG009"));

        public static readonly DiagnosticDescriptor RuntimeMissing = new DiagnosticDescriptor(
            "DOPG010", "DopCompiler.Runtime is not referenced",
            "The class generated from '{0}' needs DopCompiler.Runtime; add a reference to it (the DopCompiler package does this)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG010"));

        public static readonly DiagnosticDescriptor NoModuleInitializer = new DiagnosticDescriptor(
            "DOPG011", "No module initializer available",
            "System.Runtime.CompilerServices.ModuleInitializerAttribute is not available to this compilation; call DopCompiler.Runtime.DopBootstrap.Initialize() at start-up, before any TorchSharp call",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG011"));

        // DOPG012 ("policy made for another model", by folder name) is retired: the tool decides "same model" by content
        // hash (it rewrites the policy's model name after a move) and `dop verify` checks committed policies.

        public static readonly DiagnosticDescriptor StalePolicy = new DiagnosticDescriptor(
            "DOPG013", "DOP policy is stale",
            "The class comes from the last good policy '{0}', which may no longer match the spec: {1}. Fix the cause and build again.",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.LinkFor("DOPG013"));

        private static readonly Dictionary<string, DiagnosticDescriptor> All = new[]
        {
            NoPolicyYet, MalformedPolicy, SchemaVersion, InvalidClassName, InvalidNamespace, InvalidVisibility,
            InconsistentPolicy, UnsupportedGroups, DuplicateClass, RuntimeMissing, NoModuleInitializer, StalePolicy,
        }.ToDictionary(d => d.Id);

        public static DiagnosticDescriptor ById(string id) => All[id];
    }
}
