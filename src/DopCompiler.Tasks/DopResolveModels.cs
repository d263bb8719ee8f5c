using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DopCompiler.Tasks
{
    /// <summary>
    /// Lists the files each DopModel's search reads — the spec, every file of the model folder, the validation JSONL
    /// and the images it names — as the search target's Inputs. Cheap (no hashing, no model loading) and never fails:
    /// an unreadable spec yields just the spec, and the tool reports what is wrong with it.
    /// </summary>
    public sealed class DopResolveModels : Task
    {
        private static readonly Regex ImageField = new Regex("\"image\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"", RegexOptions.CultureInvariant);

        /// <summary>DopModel items; metadata is copied to every output item.</summary>
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Files every model's search depends on (the tool, the targets file); added to each model's inputs.</summary>
        public ITaskItem[] CommonInputs { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The models with <c>Spec</c> (the spec's full path) added. Class names come later, from the policy (<see cref="DopPolicyNames"/>).</summary>
        [Output]
        public ITaskItem[] ResolvedModels { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>One item per (model, input file), carrying the model's metadata plus <c>Spec</c>.</summary>
        [Output]
        public ITaskItem[] SearchInputs { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var resolved = new List<ITaskItem>();
            var inputs = new List<ITaskItem>();
            foreach (var model in Models)
            {
                var spec = model.GetMetadata("FullPath");
                var outline = SpecOutline.Read(spec);
                var item = new TaskItem(model);
                item.SetMetadata("Spec", spec);
                var specDirectory = Path.GetDirectoryName(spec) ?? "";
                var modelFolder = Resolve(specDirectory, outline.Model);
                resolved.Add(item);

                var files = new SortedSet<string>(StringComparer.Ordinal) { spec };
                AddModelFiles(files, modelFolder);
                AddValidationFiles(files, Resolve(specDirectory, outline.Validation));
                foreach (var common in CommonInputs)
                {
                    files.Add(common.GetMetadata("FullPath"));
                }

                var inputsFile = item.GetMetadata("InputsFile");
                if (inputsFile.Length > 0)
                {
                    files.Add(Path.GetFullPath(inputsFile));
                }

                foreach (var file in files)
                {
                    var input = new TaskItem(file);
                    item.CopyMetadataTo(input);
                    inputs.Add(input);
                }

                Log.LogMessage(MessageImportance.Low, "dop: {0}: {1} input files", spec, files.Count);
            }

            ResolvedModels = resolved.ToArray();
            SearchInputs = inputs.ToArray();
            return !Log.HasLoggedErrors;
        }

        private static string? Resolve(string directory, string? path)
        {
            if (string.IsNullOrEmpty(path))
            {
                return null;
            }

            try
            {
                return Path.GetFullPath(Path.Combine(directory, path));
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                return null;
            }
        }

        private static void AddModelFiles(ISet<string> files, string? folder)
        {
            if (folder == null || !Directory.Exists(folder))
            {
                return;
            }

            // Top level only: config.json, preprocessor_config.json, tokenizer files, *.safetensors and the index.
            foreach (var file in Directory.GetFiles(folder))
            {
                if (!Path.GetFileName(file).StartsWith(".", StringComparison.Ordinal))
                {
                    files.Add(file);
                }
            }
        }

        private static void AddValidationFiles(ISet<string> files, string? jsonl)
        {
            if (jsonl == null || !File.Exists(jsonl))
            {
                return;
            }

            files.Add(jsonl);
            var directory = Path.GetDirectoryName(jsonl) ?? "";
            try
            {
                foreach (var line in File.ReadLines(jsonl))
                {
                    var match = ImageField.Match(line);
                    if (!match.Success)
                    {
                        continue;
                    }

                    var image = Resolve(directory, Regex.Unescape(match.Groups[1].Value));
                    if (image != null && File.Exists(image))
                    {
                        files.Add(image);
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException)
            {
                // The tool reports unreadable validation files with their location.
            }
        }
    }
}
