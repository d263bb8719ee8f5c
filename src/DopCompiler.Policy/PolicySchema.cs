using System;
using System.IO;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Xml;

namespace DopCompiler.Policy
{
    /// <summary>Reads and writes policy files; the one place that knows their encoding.</summary>
    public static class PolicySchema
    {
        /// <summary>
        /// The newest schema version: bumped on any change an older reader would misread; readers refuse versions outside
        /// <see cref="OldestReadable"/>..<see cref="Version"/> with a clear message. Version 2 added the optional group
        /// field <c>ranking</c> (<c>spread</c>): a version-1 reader would silently take [CLS] order instead. Version 3 added
        /// <c>variants</c> (several named budgets): a version-2 reader would silently generate the first variant alone.
        /// Version 4 added the optional top-level <c>precision</c> (<c>fp32</c>|<c>bf16</c>): an older reader would silently
        /// follow the machine's probe. Version 5 added <c>model.image_tokens_vary</c> (anyres models, whose image-token count
        /// follows each image's size): an older reader would generate a class of 0 image tokens that refuses the model.
        /// </summary>
        public const int Version = 5;

        /// <summary>The values of the top-level <c>precision</c> field (absent = <c>auto</c>, the machine's probe).</summary>
        public const string Fp32Precision = "fp32";

        /// <inheritdoc cref="Fp32Precision"/>
        public const string Bf16Precision = "bf16";

        /// <summary>The one value of a group's <c>ranking</c> field (absent = the vision encoder's [CLS] attention order).</summary>
        public const string SpreadRanking = "spread";

        /// <summary>The oldest version readers accept: a version-1 file is a version-2 file without <c>ranking</c>, and so on: each newer version only adds optional fields.</summary>
        public const int OldestReadable = 1;

        /// <summary>
        /// The version a file with these groups is written with: the oldest that holds everything they use, so files that
        /// do not use a newer field stay byte-identical and readable by older DopCompilers.
        /// </summary>
        public static int VersionFor(System.Collections.Generic.IEnumerable<PolicyGroup> groups) => VersionFor(groups, false);

        /// <summary>
        /// <see cref="VersionFor(System.Collections.Generic.IEnumerable{PolicyGroup})"/>, 3 for a file with <c>variants</c>,
        /// 4 for one with a forced <c>precision</c>, 5 for an anyres model's (<paramref name="imageTokensVary"/>).
        /// </summary>
        public static int VersionFor(System.Collections.Generic.IEnumerable<PolicyGroup> groups, bool hasVariants, string? precision = null, bool imageTokensVary = false)
        {
            if (imageTokensVary)
            {
                return 5;
            }

            if (precision != null)
            {
                return 4;
            }

            if (hasVariants)
            {
                return 3;
            }

            foreach (var group in groups)
            {
                if (group.Ranking != null)
                {
                    return 2;
                }
            }

            return 1;
        }

        /// <summary>Whether this DopCompiler reads files of schema version <paramref name="version"/>.</summary>
        public static bool IsReadable(int version) => version >= OldestReadable && version <= Version;

        /// <summary>The readable versions, for messages ("1–2").</summary>
        public static string ReadableRange => OldestReadable == Version ? Version.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : OldestReadable.ToString(System.Globalization.CultureInfo.InvariantCulture) + "–" + Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Deterministic UTF-8 JSON: keys sorted (DataContract order is alphabetical), invariant numbers, indented, no BOM.</summary>
        public static byte[] Serialize(PolicyDocument document)
        {
            var serializer = new DataContractJsonSerializer(typeof(PolicyDocument));
            using (var stream = new MemoryStream())
            {
                using (var writer = JsonReaderWriterFactory.CreateJsonWriter(stream, new UTF8Encoding(false), false, true, "  "))
                {
                    serializer.WriteObject(writer, document);
                    writer.Flush();
                }

                stream.WriteByte((byte)'\n');
                return stream.ToArray();
            }
        }

        /// <summary>
        /// The one strict policy reader (generator, <c>dop eval/logits/verify/trim</c>): parses the file once and checks it
        /// in this order: JSON, version, sections, <c>schema_version</c> present, <c>model.num_layers</c>, group rankings, the
        /// <c>layers</c> table. Returns the document or the first problem's <see cref="PolicyParseError"/> kind, key path and
        /// message; never throws on bad input. Absent text fields of a valid document read as "".
        /// </summary>
        public static PolicyParseResult TryParse(byte[] json)
        {
            PolicyDocument? document;
            try
            {
                var serializer = new DataContractJsonSerializer(typeof(PolicyDocument));
                using (var stream = new MemoryStream(json))
                {
                    document = serializer.ReadObject(stream) as PolicyDocument;
                }
            }
            catch (Exception e) when (IsJsonError(e))
            {
                // A file of another schema version need not fit this one's types: name its version rather than call it
                // malformed (only on this error path is the file read a second time, for its version alone).
                var probed = ProbeVersion(json);
                return probed != 0 && !IsReadable(probed)
                    ? UnreadableVersion(probed)
                    : PolicyParseResult.Failure(PolicyParseError.MalformedJson, null, "not a well-formed policy JSON document: " + e.Message);
            }

            if (document == null)
            {
                return PolicyParseResult.Failure(PolicyParseError.Empty, null, "the file is empty");
            }

            if (document.SchemaVersion != 0 && !IsReadable(document.SchemaVersion))
            {
                return UnreadableVersion(document.SchemaVersion);
            }

            // DataContractJsonSerializer skips property initialisers: a missing section arrives as null.
            if (MissingSection(document) is string missing)
            {
                return PolicyParseResult.Failure(PolicyParseError.MissingSection, missing,
                    "the policy lacks a section: '" + missing + "' is missing; re-run the search to regenerate it", document.SchemaVersion);
            }

            if (document.SchemaVersion == 0)
            {
                // No readable file has version 0: the deserialiser's default for an absent key.
                return PolicyParseResult.Failure(PolicyParseError.MissingVersion, "schema_version", "it has no 'schema_version'");
            }

            if (document.Model.NumLayers <= 0)
            {
                return PolicyParseResult.Failure(PolicyParseError.InvalidModel, "model.num_layers",
                    "the 'model' section is missing or has no num_layers", document.SchemaVersion);
            }

            for (var i = 0; i < document.Groups.Count; i++)
            {
                var group = document.Groups[i];
                if (group.Ranking != null && group.Ranking != SpreadRanking)
                {
                    return PolicyParseResult.Failure(PolicyParseError.UnknownRanking, "groups[" + Invariant(i) + "].ranking",
                        "group '" + group.Name + "' has ranking '" + group.Ranking + "'; only 'spread' (or none, for [CLS] attention) is known",
                        document.SchemaVersion);
                }
            }

            if (document.Precision != null && document.Precision != Fp32Precision && document.Precision != Bf16Precision)
            {
                return PolicyParseResult.Failure(PolicyParseError.UnknownPrecision, "precision",
                    "precision is '" + document.Precision + "'; only 'fp32' or 'bf16' (or none, for the machine's probe) is known", document.SchemaVersion);
            }

            if (document.Layers.Count != document.Model.NumLayers)
            {
                return PolicyParseResult.Failure(PolicyParseError.InconsistentLayers, "layers",
                    "the 'layers' table has " + Invariant(document.Layers.Count) + " entries for a model of " + Invariant(document.Model.NumLayers) + " layers",
                    document.SchemaVersion);
            }

            if (document.Variants != null && CheckVariants(document) is PolicyParseResult refused)
            {
                return refused;
            }

            FillAbsentText(document);
            return PolicyParseResult.Success(document);
        }

        /// <summary>
        /// <see cref="TryParse(byte[])"/> for callers that only print the reason: the document, or null with
        /// <paramref name="error"/> set to the result's message.
        /// </summary>
        public static PolicyDocument? TryParse(byte[] json, out string? error)
        {
            var result = TryParse(json);
            error = result.Message;
            return result.Document;
        }

        /// <summary>Each variant: its sections present, a non-empty name used once, and a layer table as long as the model's.</summary>
        private static PolicyParseResult? CheckVariants(PolicyDocument document)
        {
            var variants = document.Variants!;
            if (variants.Count == 0)
            {
                return PolicyParseResult.Failure(PolicyParseError.MissingSection, "variants", "'variants' is empty; a single-budget policy has no 'variants' key", document.SchemaVersion);
            }

            var names = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < variants.Count; i++)
            {
                var v = variants[i];
                var at = "variants[" + Invariant(i) + "]";
                if (v == null || string.IsNullOrEmpty(v.Name) || v.Budget == null || v.Divergence == null || v.Flops == null
                    || v.Depths == null || v.Depths.Exists(x => x == null || x.Module == null || x.Group == null)
                    || v.Layers == null || v.Layers.Exists(l => l == null || l.Attention == null || l.Mlp == null || l.Dropped == null))
                {
                    return PolicyParseResult.Failure(PolicyParseError.MissingSection, at,
                        "the policy's " + at + " lacks a section (name, budget, depths, layers, divergence or flops); re-run the search to regenerate it", document.SchemaVersion);
                }

                if (!names.Add(v.Name))
                {
                    return PolicyParseResult.Failure(PolicyParseError.MissingSection, at + ".name", "variant '" + v.Name + "' appears twice", document.SchemaVersion);
                }

                if (v.Layers.Count != document.Model.NumLayers)
                {
                    return PolicyParseResult.Failure(PolicyParseError.InconsistentLayers, at + ".layers",
                        "variant '" + v.Name + "': the 'layers' table has " + Invariant(v.Layers.Count) + " entries for a model of " + Invariant(document.Model.NumLayers) + " layers",
                        document.SchemaVersion);
                }

                v.Budget.Kind = v.Budget.Kind ?? "";
                v.Divergence.Positions = v.Divergence.Positions ?? "";
                v.Flops.Convention = v.Flops.Convention ?? "";
            }

            return null;
        }

        private static PolicyParseResult UnreadableVersion(int version) =>
            PolicyParseResult.Failure(PolicyParseError.UnreadableVersion, "schema_version",
                "schema_version " + Invariant(version) + " is not readable: this DopCompiler reads versions " + ReadableRange
                + "; re-run the search (dotnet build -p:DopSearch=always) to regenerate it", version);

        private static bool IsJsonError(Exception e) =>
            e is SerializationException || e is XmlException || e is InvalidCastException || e is FormatException || e is ArgumentException;

        /// <summary>The first section (or required entry field) the deserialiser left null, as a key path; null when none.</summary>
        private static string? MissingSection(PolicyDocument d)
        {
            if (d.Model == null)
            {
                return "model";
            }

            if (d.Groups == null || d.Groups.Exists(g => g == null || g.Name == null))
            {
                return "groups";
            }

            if (d.Depths == null || d.Depths.Exists(x => x == null || x.Module == null || x.Group == null))
            {
                return "depths";
            }

            if (d.Layers == null || d.Layers.Exists(l => l == null || l.Attention == null || l.Mlp == null || l.Dropped == null))
            {
                return "layers";
            }

            if (d.Budget == null)
            {
                return "budget";
            }

            if (d.Divergence == null)
            {
                return "divergence";
            }

            if (d.Flops == null)
            {
                return "flops";
            }

            if (d.Curves == null)
            {
                return "curves";
            }

            return null;
        }

        /// <summary>Text fields that only describe (names, hashes, conventions) read as "" when absent, never as null.</summary>
        private static void FillAbsentText(PolicyDocument d)
        {
            d.ToolVersion = d.ToolVersion ?? "";
            d.SpecHash = d.SpecHash ?? "";
            d.Model.Name = d.Model.Name ?? "";
            d.Model.Hash = d.Model.Hash ?? "";
            d.Model.ModelType = d.Model.ModelType ?? "";
            d.Budget.Kind = d.Budget.Kind ?? "";
            d.Divergence.Positions = d.Divergence.Positions ?? "";
            d.Flops.Convention = d.Flops.Convention ?? "";
            foreach (var g in d.Groups)
            {
                g.Source = g.Source ?? "";
            }
        }

        /// <summary><c>schema_version</c> alone (0 when absent or unreadable), for files the full schema does not fit.</summary>
        private static int ProbeVersion(byte[] json)
        {
            try
            {
                var serializer = new DataContractJsonSerializer(typeof(VersionProbe));
                using (var stream = new MemoryStream(json))
                {
                    return serializer.ReadObject(stream) is VersionProbe probe && probe.SchemaVersion is int version ? version : 0;
                }
            }
            catch (Exception e) when (IsJsonError(e))
            {
                return 0;
            }
        }

        private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        [DataContract]
        internal sealed class VersionProbe
        {
            [DataMember(Name = "schema_version")] public int? SchemaVersion { get; set; }
        }

        /// <summary>Writes atomically: a temp file beside the target, then a rename, so a cancelled write never leaves half a policy.</summary>
        public static void WriteAtomically(string path, PolicyDocument document)
        {
            var bytes = Serialize(document);
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var temp = path + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            try
            {
                File.WriteAllBytes(temp, bytes);
                if (File.Exists(path))
                {
                    File.Replace(temp, path, null);
                }
                else
                {
                    File.Move(temp, path);
                }
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }
    }
}
