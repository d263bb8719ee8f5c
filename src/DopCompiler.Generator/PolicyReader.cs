using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using DopCompiler.Generator.Model;
using DopCompiler.Policy;
using Microsoft.CodeAnalysis.CSharp;

namespace DopCompiler.Generator
{
    /// <summary>Turns one policy input into a validated <see cref="ClassSpec"/> or diagnostics. Never throws on bad input.</summary>
    internal static class PolicyReader
    {
        private static readonly string[][] SupportedGroupLayouts =
        {
            new[] { "system", "image", "text" },
            new[] { "system", "image_key", "image_rest", "text" },
        };

        public static PolicyResult Read(PolicyInput input, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            ClassSpec? spec;
            try
            {
                spec = ReadCore(input, diagnostics, cancellationToken);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                // Last line of defence: a generator that throws takes the whole compilation's generated code down with it.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MalformedPolicy, input.Path, input.FileName, e.GetType().Name + ": " + e.Message));
                spec = null;
            }

            return new PolicyResult(diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error) ? null : spec,
                new EquatableArray<DiagnosticInfo>(diagnostics), input.FileName, input.Path);
        }

        /// <summary>"DopGenerated.Dop" for DOPG001's message; "" when the build named no class.</summary>
        public static string ClassNameForMessage(string? ns, string? className) =>
            string.IsNullOrWhiteSpace(className) ? "" : string.IsNullOrWhiteSpace(ns) ? className!.Trim() : ns!.Trim() + "." + className!.Trim();

        /// <summary>
        /// The folder <c>Load()</c> opens, relative to the app's base directory: the <c>DopModelFolder</c> metadata (where the
        /// build copies the trimmed model), else <c>dop-model/&lt;class name&gt;</c>, the targets' default. '/'-separated, no
        /// leading or trailing separator, so the generated text does not depend on the build machine.
        /// </summary>
        public static string ModelFolderOf(string? metadata, string className)
        {
            var folder = string.IsNullOrWhiteSpace(metadata) ? "dop-model/" + className : metadata!.Trim();
            return folder.Replace('\\', '/').Trim('/');
        }

        private static ClassSpec? ReadCore(PolicyInput input, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            if (input.Text is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoPolicyYet, input.Path, input.FileName, ClassNameForMessage(input.Namespace, input.ClassName)));
                return null;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var parsed = PolicySchema.TryParse(Encoding.UTF8.GetBytes(input.Text));
            if (parsed.Document is not { } document)
            {
                diagnostics.Add(ParseDiagnostic(parsed, input));
                return null;
            }

            var className = string.IsNullOrWhiteSpace(input.ClassName)
                ? DopConventions.ClassNameFromModel(string.IsNullOrWhiteSpace(input.ModelName) ? document.Model.Name : input.ModelName!)
                : input.ClassName!.Trim();
            if (!IsIdentifier(className))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidClassName, input.Path, className, input.FileName));
            }

            var ns = !string.IsNullOrWhiteSpace(input.Namespace) ? input.Namespace!.Trim()
                : !string.IsNullOrWhiteSpace(input.RootNamespace) ? input.RootNamespace!.Trim()
                : DopConventions.DefaultNamespace;
            if (!ns.Split('.').All(IsIdentifier))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidNamespace, input.Path, ns, input.FileName));
            }

            var visibility = string.IsNullOrWhiteSpace(input.Visibility) ? DopConventions.DefaultVisibility : input.Visibility!.Trim();
            if (visibility != "public" && visibility != "internal")
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidVisibility, input.Path, visibility, input.FileName));
            }

            if (!string.IsNullOrWhiteSpace(input.Stale))
            {
                // The last search failed or was cancelled: the class stays (the IDE keeps working), with a warning.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StalePolicy, input.Path, input.FileName, input.Stale!.Trim()));
            }

            var groupNames = document.Groups.Select(g => g.Name).ToArray();
            if (!SupportedGroupLayouts.Any(layout => layout.SequenceEqual(groupNames, StringComparer.Ordinal)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedGroups, input.Path, input.FileName,
                    groupNames.Length == 0 ? "none" : string.Join(", ", groupNames)));
                return null;
            }

            var problem = CheckModel(document.Model) ?? CheckLayers(document.Layers, groupNames) ?? CheckVariants(document, groupNames);
            double? imageKeyFraction = null;
            var imageKey = document.Groups.FirstOrDefault(g => g.Name == "image_key");
            if (imageKey is not null)
            {
                imageKeyFraction = imageKey.ImageFraction;
                if (problem is null && !(imageKey.ImageFraction > 0 && imageKey.ImageFraction <= 1))
                {
                    problem = "group 'image_key' has image_fraction " + Invariant(imageKey.ImageFraction) + ", expected a share in (0, 1]";
                }
            }

            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InconsistentPolicy, input.Path, input.FileName, problem));
                return null;
            }

            uint Mask(IEnumerable<string> names) => names.Aggregate(0u, (mask, name) => mask | (1u << Array.IndexOf(groupNames, name)));
            EquatableArray<DepthSpec> Depths(List<PolicyDepth> depths) => new EquatableArray<DepthSpec>(depths
                .OrderBy(d => d.Module, StringComparer.Ordinal).ThenBy(d => Array.IndexOf(groupNames, d.Group))
                .Select(d => new DepthSpec(d.Module, d.Group, d.Depth)));
            EquatableArray<LayerSpec> Layers(List<PolicyLayer> layers) =>
                new EquatableArray<LayerSpec>(layers.Select(l => new LayerSpec(l.Layer, Mask(l.Attention), Mask(l.Mlp), Mask(l.Dropped))));
            return new ClassSpec
            {
                Namespace = ns,
                ClassName = className,
                Visibility = visibility,
                PolicyFileName = input.FileName,
                ToolVersion = document.ToolVersion,
                SpecHash = document.SpecHash,
                ModelFolder = ModelFolderOf(input.ModelFolder, className),
                Model = new ModelSpec
                {
                    Name = document.Model.Name,
                    Hash = document.Model.Hash,
                    ModelType = document.Model.ModelType,
                    NumLayers = document.Model.NumLayers,
                    HiddenSize = document.Model.HiddenSize,
                    IntermediateSize = document.Model.IntermediateSize,
                    NumHeads = document.Model.NumHeads,
                    NumKeyValueHeads = document.Model.NumKeyValueHeads,
                    ImageTokens = document.Model.ImageTokens,
                    ImageTokensVary = document.Model.ImageTokensVary,
                    ImageTokenId = document.Model.ImageTokenId,
                },
                Groups = new EquatableArray<GroupSpec>(document.Groups.Select(g => new GroupSpec(g.Name, DopConventions.PascalCase(g.Name), g.Source, g.Prunable, g.MeanTokens))),
                Depths = Depths(document.Depths),
                Layers = Layers(document.Layers),
                Budget = BudgetOf(document.Budget, document.Flops, document.Divergence),
                ImageKeyFraction = imageKeyFraction,
                ImageRanking = imageKey?.Ranking,
                Variants = new EquatableArray<VariantSpec>((document.Variants ?? new List<PolicyVariant>()).Select(v => new VariantSpec(
                    v.Name, DopConventions.PascalCase(v.Name), Depths(v.Depths), Layers(v.Layers), BudgetOf(v.Budget, v.Flops, v.Divergence)))),
                Precision = document.Precision,
            };
        }

        private static BudgetSpec BudgetOf(PolicyBudget budget, PolicyFlops flops, PolicyDivergence divergence) => new BudgetSpec
        {
            Kind = budget.Kind,
            Asked = budget.Asked,
            Reached = budget.Reached,
            FlopsFraction = budget.FlopsFraction,
            FlopsConvention = flops.Convention,
            UnprunedFlops = flops.Unpruned,
            PrunedFlops = flops.Pruned,
            PredictedKl = divergence.PredictedKl,
            MeasuredKl = divergence.MeasuredKl,
            KlPositions = divergence.Positions,
            KlMaxPositions = divergence.MaxPositions,
            KlSamples = divergence.Samples,
        };

        /// <summary>Each variant's layer table is consistent, and its C# name is a distinct identifier (<c>Variant</c> enum members).</summary>
        private static string? CheckVariants(PolicyDocument document, string[] groupNames)
        {
            if (document.Variants is not { } variants)
            {
                return null;
            }

            var identifiers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var variant in variants)
            {
                var identifier = DopConventions.PascalCase(variant.Name);
                if (!IsIdentifier(identifier) || identifier == "None")
                {
                    return "variant '" + variant.Name + "' does not make a C# name (" + identifier + ")";
                }

                if (!identifiers.Add(identifier))
                {
                    return "two variants make the same C# name " + identifier;
                }

                if (CheckLayers(variant.Layers, groupNames) is string problem)
                {
                    return "variant '" + variant.Name + "': " + problem;
                }
            }

            return null;
        }

        /// <summary>The one place a refused policy file becomes a DOPG diagnostic: one descriptor per <see cref="PolicyParseError"/>.</summary>
        private static DiagnosticInfo ParseDiagnostic(PolicyParseResult parsed, PolicyInput input)
        {
            var message = parsed.Message ?? "unknown error";
            switch (parsed.Error)
            {
                case PolicyParseError.UnreadableVersion:
                    return DiagnosticInfo.Create(DiagnosticDescriptors.SchemaVersion, input.Path, input.FileName, Invariant(parsed.SchemaVersion), PolicySchema.ReadableRange);
                case PolicyParseError.InconsistentLayers:
                    return DiagnosticInfo.Create(DiagnosticDescriptors.InconsistentPolicy, input.Path, input.FileName, message);
                case PolicyParseError.Empty:
                case PolicyParseError.MalformedJson:
                case PolicyParseError.MissingVersion:
                case PolicyParseError.MissingSection:
                case PolicyParseError.InvalidModel:
                case PolicyParseError.UnknownRanking:
                default:
                    return DiagnosticInfo.Create(DiagnosticDescriptors.MalformedPolicy, input.Path, input.FileName, message);
            }
        }

        private static string? CheckModel(PolicyModel model)
        {
            if (model.HiddenSize <= 0 || model.IntermediateSize <= 0 || model.NumHeads <= 0 || model.NumKeyValueHeads <= 0 || model.ImageTokens < 0)
            {
                return "the model section has a non-positive size (hidden_size, intermediate_size, num_heads, num_kv_heads)";
            }

            return null;
        }

        private static string? CheckLayers(List<PolicyLayer> layers, string[] groupNames)
        {
            var droppedAt = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (layer.Layer != i)
                {
                    return "entry " + Invariant(i) + " of 'layers' is layer " + Invariant(layer.Layer);
                }

                foreach (var (list, what) in new[] { (layer.Attention, "attention"), (layer.Mlp, "mlp"), (layer.Dropped, "dropped") })
                {
                    foreach (var name in list)
                    {
                        if (Array.IndexOf(groupNames, name) < 0)
                        {
                            return "layer " + Invariant(i) + " names group '" + name + "' in '" + what + "', which is not among the policy's groups";
                        }

                        if (droppedAt.TryGetValue(name, out var at))
                        {
                            return "group '" + name + "' left the sequence at layer " + Invariant(at) + " but layer " + Invariant(i) + " names it in '" + what + "'";
                        }
                    }

                    if (list.Distinct(StringComparer.Ordinal).Count() != list.Count)
                    {
                        return "layer " + Invariant(i) + " names a group twice in '" + what + "'";
                    }
                }

                foreach (var name in layer.Dropped)
                {
                    droppedAt[name] = i;
                }
            }

            return null;
        }

        private static bool IsIdentifier(string name) =>
            SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

        private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        private static string Invariant(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    }
}
