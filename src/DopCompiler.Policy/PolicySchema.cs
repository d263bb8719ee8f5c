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
        /// field <c>ranking</c> (<c>spread</c>): a version-1 reader would silently take [CLS] order instead.
        /// </summary>
        public const int Version = 2;

        /// <summary>The one value of a group's <c>ranking</c> field (absent = the vision encoder's [CLS] attention order).</summary>
        public const string SpreadRanking = "spread";

        /// <summary>The oldest version readers accept: a version-1 file is a version-2 file without <c>ranking</c>.</summary>
        public const int OldestReadable = 1;

        /// <summary>
        /// The version a file with these groups is written with: the oldest that holds everything they use, so files that
        /// do not use a newer field stay byte-identical and readable by older DopCompilers.
        /// </summary>
        public static int VersionFor(System.Collections.Generic.IEnumerable<PolicyGroup> groups)
        {
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

        /// <summary>Parses a policy; <paramref name="error"/> says why not (malformed JSON, wrong version) and the result is null.</summary>
        public static PolicyDocument? TryParse(byte[] json, out string? error)
        {
            error = null;
            PolicyDocument? document;
            try
            {
                var serializer = new DataContractJsonSerializer(typeof(PolicyDocument));
                using (var stream = new MemoryStream(json))
                {
                    document = serializer.ReadObject(stream) as PolicyDocument;
                }
            }
            catch (Exception e) when (e is SerializationException || e is XmlException || e is InvalidCastException || e is FormatException)
            {
                error = "the policy file is not a well-formed policy JSON document: " + e.Message;
                return null;
            }

            if (document == null)
            {
                error = "the policy file is empty";
                return null;
            }

            // DataContractJsonSerializer skips property initialisers: a missing section arrives as null.
            if (document.Model == null || document.Groups == null || document.Depths == null || document.Layers == null
                || document.Budget == null || document.Divergence == null || document.Flops == null || document.Curves == null)
            {
                error = "the policy file lacks a section (model, groups, depths, layers, budget, divergence, flops or curves); re-run the search to regenerate it";
                return null;
            }

            if (!IsReadable(document.SchemaVersion))
            {
                error = "the policy file has schema_version " + document.SchemaVersion + ", this DopCompiler reads versions " + ReadableRange
                    + "; re-run the search (dotnet build with DopSearch=always) to regenerate it";
                return null;
            }

            foreach (var group in document.Groups)
            {
                if (group.Ranking != null && group.Ranking != SpreadRanking)
                {
                    error = "the policy file's group '" + group.Name + "' has ranking '" + group.Ranking + "'; only 'spread' (or none, for [CLS] attention) is known";
                    return null;
                }
            }

            if (document.Model.NumLayers <= 0 || document.Layers.Count != document.Model.NumLayers)
            {
                error = "the policy file's 'layers' table has " + document.Layers.Count + " entries for a model of " + document.Model.NumLayers + " layers";
                return null;
            }

            return document;
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
