using System;
using System.Collections.Generic;
using System.IO;
using DopCompiler.Policy;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// Fills in each DopModel's generated-class names from its policy's <c>output</c> section, which the tool's spec parser
    /// wrote (the one parser that reads <c>output.class_name</c> / <c>output.namespace</c>); item metadata set in the
    /// project wins. Without a policy (before the first build) or with one written before that section existed: the spec
    /// file name's class-name rule and <c>DopGenerated</c>. Also the default <c>ModelOutputFolder</c>
    /// (<c>&lt;DefaultModelOutputFolder&gt;/&lt;ClassName&gt;</c>) and <c>Stale</c>, the reason in the spec's stale file.
    /// Reads small files only; never fails (the generator reports an unreadable policy).
    /// </summary>
    public sealed class DopPolicyNames : Task
    {
        /// <summary>Resolved DopModel items (<c>Spec</c>, <c>PolicyFile</c>, <c>StaleFile</c>, <c>ClassName</c>, <c>Namespace</c>, <c>ModelOutputFolder</c>).</summary>
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary><c>$(DopModelOutputFolder)</c>.</summary>
        public string DefaultModelOutputFolder { get; set; } = "dop-model";

        [Output]
        public ITaskItem[] NamedModels { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var named = new List<ITaskItem>();
            foreach (var model in Models)
            {
                var item = new TaskItem(model);
                var output = ReadOutput(item.GetMetadata("PolicyFile"));
                if (item.GetMetadata("ClassName").Trim().Length == 0)
                {
                    item.SetMetadata("ClassName", output?.ClassName is { Length: > 0 } className ? className : DopConventions.ClassNameFromSpecFile(item.GetMetadata("Spec")));
                }

                if (item.GetMetadata("Namespace").Trim().Length == 0)
                {
                    item.SetMetadata("Namespace", output?.Namespace is { Length: > 0 } ns ? ns : DopConventions.DefaultNamespace);
                }

                if (item.GetMetadata("ModelOutputFolder").Trim().Length == 0)
                {
                    item.SetMetadata("ModelOutputFolder", DefaultModelOutputFolder.TrimEnd('/', '\\') + "/" + item.GetMetadata("ClassName"));
                }

                item.SetMetadata("Stale", ReadStale(item.GetMetadata("StaleFile")));
                named.Add(item);
                Log.LogMessage(MessageImportance.Low, "dop: {0}: class {1}.{2}{3}", item.GetMetadata("Spec"), item.GetMetadata("Namespace"), item.GetMetadata("ClassName"),
                    output == null ? " (no output section in a policy: file-name defaults)" : " (from the policy)");
            }

            NamedModels = named.ToArray();
            return true;
        }

        private static PolicyOutput? ReadOutput(string policyFile)
        {
            try
            {
                return policyFile.Length > 0 && File.Exists(policyFile) ? PolicySchema.TryParse(File.ReadAllBytes(policyFile), out _)?.Output : null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static string ReadStale(string staleFile)
        {
            try
            {
                return staleFile.Length > 0 && File.Exists(staleFile) ? File.ReadAllText(staleFile).Trim() : "";
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return "";
            }
        }
    }
}
