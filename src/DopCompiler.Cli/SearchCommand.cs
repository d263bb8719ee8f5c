using System.CommandLine;
using System.Globalization;
using DopCompiler.Cli.Reporting;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Model;
using DopCompiler.Policy;
using DopCompiler.Search;
using DopCompiler.Search.Curves;
using DopCompiler.Spec;
using DopCompiler.Search.Document;

namespace DopCompiler.Cli;

/// <summary><c>dop search</c> (curves + solve) and <c>dop solve</c> (from cached curves only).</summary>
public static class SearchCommand
{
    public static Command Create(bool solveOnly)
    {
        var spec = new Argument<string>("spec") { Description = "Path of the dop.yaml spec." };
        // Text, not double: the value goes through the spec's own number and range rules (a double option would take "0,5" as 5, and NaN).
        var budget = new Option<string?>("--budget") { Description = "Budget value overriding the spec's (same kind and range: fraction, tflops, latency_fraction, or a max_accuracy_drop / max_kl target).", Required = solveOnly };
        var output = new Option<string?>("--out") { Description = "Policy file to write (default: <spec name>.policy.json beside the spec)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder of the curve cache (default: ~/.cache/dopcompiler/curves)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute the curves even when cached." };
        var noReuse = new Option<bool>("--no-prefix-reuse") { Description = "Re-run every curve point from layer 0 (benchmarks only)." };
        var measure = new Option<bool>("--measure") { Description = "solve: measure the chosen policy's joint KL when the cache holds no measurement of it (search always does)." };
        var randomPolicies = new Option<int>("--random-policies") { Description = "Also measure N random policies, predicted vs measured KL.", DefaultValueFactory = _ => 0 };
        var device = new Option<string?>("--device") { Description = "auto, cpu or cuda (overrides the spec)." };
        var libtorch = new Option<string?>("--libtorch-dir") { Description = "Folder with a (CUDA) libtorch.so to load instead of the packaged one." };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary on stdout." };
        var trimmedOut = new Option<string?>("--trimmed-out") { Description = "Also write the trimmed checkpoint the generated class reads into this folder (skipped when up to date; see dop trim)." };
        var shard = new Option<string?>("--shard") { Description = "Measure only shard i/n of the curve points into --cache-dir (a CI job's artifact) and write no policy; see docs/sharded-search.md." };
        var shards = new Option<string[]>("--shards")
        {
            Description = "Folders (searched with their subfolders) holding every shard of a --shard i/n split: the curves are merged from them instead of measured.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command(solveOnly ? "solve" : "search",
            solveOnly ? "Re-solve a budget from cached curves (no validation run)." : "Search the pruning policy for a spec and write the policy file.")
        {
            spec, budget, output, cacheDir, measure, randomPolicies, device, libtorch, json, trimmedOut, shards,
        };
        if (!solveOnly)
        {
            command.Options.Add(noCache);
            command.Options.Add(noReuse);
            command.Options.Add(shard);
        }

        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        command.SetAction(result =>
        {
            ChooseLibTorch(result.GetValue(libtorch), result.GetValue(spec)!);

            if (!solveOnly && result.GetValue(shard) is { } shardText)
            {
                return CommandGuard.Run(cancellation => ExecuteShard(result.GetValue(spec)!, shardText, result.GetValue(cacheDir), result.GetValue(noCache),
                    result.GetValue(noReuse), result.GetValue(device), ShardConflicts(result, output, trimmedOut, randomPolicies, shards, measure), cancellation),
                    DopCommandLine.ProcessCancellation());
            }

            var shardFolders = result.GetValue(shards) ?? [];
            return CommandGuard.Run(cancellation => Execute(
                result.GetValue(spec)!, result.GetValue(budget), result.GetValue(output), result.GetValue(cacheDir),
                solveOnly, !solveOnly && result.GetValue(noCache), !solveOnly && result.GetValue(noReuse), result.GetValue(measure),
                result.GetValue(randomPolicies), result.GetValue(device), result.GetValue(json), result.GetValue(trimmedOut), shardFolders, cancellation), DopCommandLine.ProcessCancellation());
        });
        return command;
    }

    /// <summary>
    /// Points the native loader at a libtorch folder before it runs (it runs before the spec is otherwise parsed):
    /// <c>--libtorch-dir</c>, else <c>DOP_LIBTORCH_DIR</c>, else the spec's <c>libtorch_dir</c>. The machine's settings win
    /// over the committed spec because the folder is a property of the machine. A spec that does not parse is left to
    /// <see cref="Execute"/>, which reports it.
    /// </summary>
    private static void ChooseLibTorch(string? option, string specPath)
    {
        var variable = Model.Native.TorchNativeLoader.LibTorchDirVariable;
        if (!string.IsNullOrEmpty(option))
        {
            Environment.SetEnvironmentVariable(variable, option);
        }
        else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))
            && DopSpecParser.Parse(specPath) is { Succeeded: true, Value.LibTorchDir: { } fromSpec })
        {
            Environment.SetEnvironmentVariable(variable, fromSpec);
        }
    }

    /// <summary>The options that make no sense with <c>--shard</c> (a shard writes no policy), by name; empty when none is given.</summary>
    private static string[] ShardConflicts(ParseResult result, Option<string?> output, Option<string?> trimmedOut, Option<int> randomPolicies, Option<string[]> shards, Option<bool> measure) =>
        new (string Name, bool Given)[]
        {
            ("--out", result.GetValue(output) is not null),
            ("--trimmed-out", result.GetValue(trimmedOut) is not null),
            ("--random-policies", result.GetValue(randomPolicies) != 0),
            ("--shards", (result.GetValue(shards) ?? []).Length > 0),
            ("--measure", result.GetValue(measure)),
        }.Where(o => o.Given).Select(o => o.Name).ToArray();

    /// <summary><c>dop search --shard i/n</c>: this shard's curve points into the cache folder, nothing else.</summary>
    private static int ExecuteShard(string specPath, string shardText, string? cacheDir, bool noCache, bool noReuse, string? device, string[] conflicts,
        CancellationToken cancellation)
    {
        var shard = CurveShard.TryParse(shardText, out var shardError) ?? throw new DopException(DiagnosticCodes.Usage, shardError);
        if (conflicts.Length > 0)
        {
            throw new DopException(DiagnosticCodes.Usage, $"--shard measures curve points only and writes no policy: drop {string.Join(", ", conflicts)} (the job that merges the shards takes them)");
        }

        var spec = CommandGuard.ParseSpec(specPath);
        var options = new SearchOptions
        {
            CacheFolder = cacheDir ?? CurveCache.DefaultFolder(),
            UseCache = !noCache,
            ReusePrefix = !noReuse,
            Device = device is null
                ? ResolveDevice(spec.Device, spec.SourcePath, spec.DeviceAt)
                : ResolveDevice(Enum.Parse<DeviceKind>(device, ignoreCase: true), spec.SourcePath, null),
        };
        var outcome = DopSearch.RunShard(spec, options, shard, new ConsoleProgress(Console.Error, spec.SourcePath), cancellation);
        cancellation.ThrowIfCancellationRequested();
        Console.Error.WriteLine($"dop: shard {outcome.Shard}: {outcome.Points} of {outcome.TotalPoints} curve points {(outcome.Reused ? "already measured" : "measured")} in {outcome.Path}");
        return ExitCodes.Success;
    }

    /// <summary>
    /// <summary>
    /// <c>--budget name=value</c> for a spec with several budgets: that budget's value replaced (checked for its kind), the
    /// others kept. A bare value cannot say which budget it means: DOP043.
    /// </summary>
    private static DopSpec WithNamedBudget(DopSpec spec, EquatableArray<NamedBudget> named, string text)
    {
        var names = string.Join(", ", named.Select(b => b.Name));
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            throw new DopException(DiagnosticCodes.Usage,
                $"the spec has several budgets ({names}): --budget (DopBudget) must name the one it replaces, e.g. --budget {named[0].Name}={text.Trim()}", spec.SourcePath);
        }

        var name = text[..equals].Trim();
        var index = named.Select(b => b.Name).ToList().IndexOf(name);
        if (index < 0)
        {
            throw new DopException(DiagnosticCodes.Usage, $"--budget names '{name}', which is not one of the spec's budgets ({names})", spec.SourcePath);
        }

        var old = named[index].Budget;
        var value = BudgetValue.TryParse(text[(equals + 1)..].Trim(), old.Kind, "--budget", out var parsed, out var budgetError)
            ? parsed
            : throw new DopException(budgetError.Code, budgetError.Message);
        var replaced = named.Select((b, i) => i == index ? b with { Budget = old with { Value = value } } : b).ToArray();
        return spec with { Budgets = new EquatableArray<NamedBudget>(replaced), Budget = replaced[0].Budget };
    }

    private static int Execute(string specPath, string? budgetText, string? output, string? cacheDir, bool solveOnly, bool noCache, bool noReuse,
        bool measure, int randomPolicies, string? device, bool json, string? trimmedOut, string[] shardFolders, CancellationToken cancellation)
    {
        var spec = CommandGuard.ParseSpec(specPath);
        double? budget = null;
        if (budgetText is not null && spec.Budgets is { } named)
        {
            spec = WithNamedBudget(spec, named, budgetText);
        }
        else if (budgetText is not null)
        {
            budget = BudgetValue.TryParse(budgetText, spec.Budget.Kind, "--budget", out var value, out var budgetError)
                ? value
                : throw new DopException(budgetError.Code, budgetError.Message);
        }

        var outPath = Path.GetFullPath(output ?? Path.Combine(Path.GetDirectoryName(spec.SourcePath)!, Path.GetFileNameWithoutExtension(spec.SourcePath) + ".policy.json"));
        if (string.Equals(outPath, spec.SourcePath, StringComparison.Ordinal) || Directory.Exists(outPath))
        {
            throw new DopException(DiagnosticCodes.Usage, $"--out '{output}' names {(Directory.Exists(outPath) ? "a folder" : "the spec itself")}; give the policy file to write (e.g. dop.policy.json)");
        }

        var computeDevice = device is null
            ? ResolveDevice(spec.Device, spec.SourcePath, spec.DeviceAt)
            : ResolveDevice(Enum.Parse<DeviceKind>(device, ignoreCase: true), spec.SourcePath, null);
        var options = new SearchOptions
        {
            Budget = budget,
            CacheFolder = cacheDir ?? CurveCache.DefaultFolder(),
            UseCache = !noCache,
            ReusePrefix = !noReuse,
            // search: the policy must not depend on what the cache holds (a cold run measures the KL, so a warm one does too).
            MeasureOnCacheHit = measure || !solveOnly,
            RandomPolicies = randomPolicies,
            Device = computeDevice,
            ShardFolders = shardFolders,
        };
        var progress = new ConsoleProgress(Console.Error, spec.SourcePath);

        if (!solveOnly && !noCache && randomPolicies == 0 && TryUpToDate(spec, options, outPath) is { } current)
        {
            // Nothing to search. The policy is rewritten only when a descriptive field changed (a moved or renamed model
            // folder with the same bytes, new output names); otherwise it is not touched, so the compiler sees no change.
            var rewritten = Describe(current, spec, current.Warnings);
            progress.Info($"policy is up to date: {outPath}");
            foreach (var warning in current.Warnings ?? [])
            {
                // Repeated while the policy stands, so a build with warnings as errors stays red until the cause is fixed.
                progress.Warning(warning.Code, warning.Message);
            }

            var written = WriteIfChanged(outPath, rewritten);
            if (written)
            {
                WriteReport(ReportPathFor(outPath), rewritten);
            }

            if (trimmedOut is not null)
            {
                TrimCommand.Write(spec, rewritten, rewritten.Model.Hash, trimmedOut, progress, cancellation);
            }

            Console.Error.WriteLine(ResultLinePrefix + (written ? ResultWritten : ResultUpToDate));
            return ExitCodes.Success;
        }

        if (solveOnly && shardFolders.Length == 0 && !HasCachedCurves(spec, options))
        {
            throw new DopException(DiagnosticCodes.NoCachedCurves, "no cached curves for this spec, model and validation set: run 'dop search' first", spec.SourcePath);
        }

        var recorder = new RecordingProgress(progress);
        var outcome = DopSearch.Run(spec, options, recorder, cancellation);
        cancellation.ThrowIfCancellationRequested();
        Describe(outcome.Document, spec, recorder.Warnings);
        // Same inputs give the same bytes: an unchanged policy is left alone (its timestamp too), so nothing recompiles.
        var changed = WriteIfChanged(outPath, outcome.Document);
        var reportPath = ReportPathFor(outPath);
        if (changed || !File.Exists(reportPath))
        {
            // The random policies' checks (--random-policies) exist only in this run: the report is the place they are kept.
            WriteReport(reportPath, ReportInput.Of(outcome.Document, outcome.Checks.Skip(1)));
        }

        var d = outcome.Document;
        progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"policy written: {outPath} ({d.Budget.Kind} {d.Budget.Asked:0.###} asked, {d.Budget.Reached:0.####} reached; FLOPs fraction {d.Budget.FlopsFraction:0.####}; KL predicted {d.Divergence.PredictedKl:0.#####}, measured {(d.Divergence.MeasuredKl < 0 ? "not measured" : d.Divergence.MeasuredKl.ToString("0.#####", CultureInfo.InvariantCulture))})"));
        foreach (var v in d.Variants ?? [])
        {
            progress.Info(string.Create(CultureInfo.InvariantCulture,
                $"variant '{v.Name}': {v.Budget.Kind} {v.Budget.Asked:0.###} asked, {v.Budget.Reached:0.####} reached; FLOPs fraction {v.Budget.FlopsFraction:0.####}; KL predicted {v.Divergence.PredictedKl:0.#####}, measured {(v.Divergence.MeasuredKl < 0 ? "not measured" : v.Divergence.MeasuredKl.ToString("0.#####", CultureInfo.InvariantCulture))}"));
        }

        if (d.Quality is { } q)
        {
            var points = q.Kind == "max_accuracy_drop" ? 100 : 1;
            var unit = q.Kind == "max_accuracy_drop" ? " points" : "";
            var caveat = q.Target < q.Margin95 ? " (the target is below the margin: noise at this N)" : "";
            progress.Info(string.Create(CultureInfo.InvariantCulture,
                $"quality target {q.Kind} {q.Target:0.#####} (priced in {q.Price}): measured {q.Measured:0.#####} on N = {q.Samples} validation samples; "
                + $"{q.CandidatesMeasured} of {q.FrontierSize} frontier policies measured; standard error {q.StandardError * points:0.###}{unit}, 95% margin ±{q.Margin95 * points:0.###}{unit}{caveat}"));
        }

        progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"search cost: {outcome.Statistics.ValidationRuns} validation runs, {outcome.Statistics.LayerEvaluations} layer evaluations, {outcome.Statistics.Elapsed.TotalSeconds:0.0} s{(outcome.CacheHit ? " (curves from cache)" : "")}"));
        foreach (var check in outcome.Checks.Skip(1))
        {
            progress.Info(string.Create(CultureInfo.InvariantCulture, $"random policy {check.Policy}: predicted KL {check.Predicted:0.#####}, measured {check.Measured:0.#####}, FLOPs {check.CostFraction:0.###}"));
        }

        progress.Info(changed ? $"report written: {reportPath}" : $"policy unchanged (same bytes), not rewritten: {outPath}");
        if (trimmedOut is not null)
        {
            // The policy's model hash is the hash of spec.Model (the search just computed it from that folder).
            TrimCommand.Write(spec, outcome.Document, outcome.Document.Model.Hash, trimmedOut, progress, cancellation);
        }

        if (json)
        {
            Console.Out.WriteLine(SummaryJson.Of(outPath, outcome));
        }

        Console.Error.WriteLine(ResultLinePrefix + (changed ? ResultWritten : ResultUpToDate));
        return ExitCodes.Success;
    }

    /// <summary>
    /// The machine-readable last line of a successful <c>dop search</c> on stderr (a contract, unlike the <c>dop: </c>
    /// progress text): <c>dop-result: written</c> when the policy file changed, <c>dop-result: up-to-date</c> when it was
    /// left as it was. The MSBuild task reads it.
    /// </summary>
    public const string ResultLinePrefix = "dop-result: ";

    public const string ResultWritten = "written";

    public const string ResultUpToDate = "up-to-date";

    /// <summary>
    /// Fills the fields that describe rather than decide the policy: the model folder's name, the generated class's
    /// names (the spec parser's <c>output</c>, defaults resolved) and the warnings the search reported.
    /// </summary>
    private static PolicyDocument Describe(PolicyDocument document, DopSpec spec, List<PolicyWarning>? warnings)
    {
        document.Model.Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.Model));
        document.Output = new PolicyOutput { ClassName = spec.Output.ClassName, Namespace = spec.Output.Namespace };
        document.Warnings = warnings;
        return document;
    }

    /// <summary>Writes the policy (atomically) unless the file already holds exactly these bytes; true when it wrote.</summary>
    private static bool WriteIfChanged(string path, PolicyDocument document)
    {
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(PolicySchema.Serialize(document)))
        {
            return false;
        }

        PolicySchema.WriteAtomically(path, document);
        return true;
    }

    /// <summary><c>x.policy.json</c> → <c>x.policy.html</c>: the report sits beside its policy.</summary>
    public static string ReportPathFor(string policyPath) => Path.ChangeExtension(policyPath, ".html");

    public static void WriteReport(string path, PolicyDocument document) => WriteReport(path, ReportInput.Of(document));

    public static void WriteReport(string path, ReportInput input)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, PolicyReport.Render(input));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The existing policy when it was made from exactly these inputs (content hashes), so searching again would change nothing; else null.</summary>
    private static PolicyDocument? TryUpToDate(DopSpec spec, SearchOptions options, string outPath)
    {
        if (!File.Exists(outPath))
        {
            return null;
        }

        var existing = PolicySchema.TryParse(File.ReadAllBytes(outPath), out _);
        var validation = ValidationSetReader.Read(spec.Validation);
        if (existing is null || !validation.Succeeded)
        {
            return null;
        }

        var inputs = SearchInputs.Of(spec, validation.Value!, options.Budget ?? spec.Budget.Value);
        return existing.SpecHash == inputs.PolicyKey && existing.ToolVersion == ToolVersion.Current ? existing : null;
    }

    private static bool HasCachedCurves(DopSpec spec, SearchOptions options)
    {
        var validation = ValidationSetReader.Read(spec.Validation);
        if (!validation.Succeeded)
        {
            throw new SpecException(validation.Diagnostics);
        }

        var inputs = SearchInputs.Of(spec, validation.Value!, options.Budget ?? spec.Budget.Value);
        return new CurveCache(options.CacheFolder).TryRead(inputs.CurveKey) is not null;
    }

    /// <summary>
    /// The device the search computes on: null (the CPU) for <c>cpu</c>, and for <c>auto</c> without a usable GPU;
    /// CUDA for <c>cuda</c> (DOP007 when none is usable) and for <c>auto</c> with one.
    /// </summary>
    private static TorchSharp.torch.Device? ResolveDevice(DeviceKind device, string specPath, SpecLocation? at)
    {
        if (device == DeviceKind.Cpu)
        {
            return null;
        }

        if (CudaProbe.IsAvailable())
        {
            return TorchSharp.torch.CUDA;
        }

        return device == DeviceKind.Auto
            ? null
            : throw new DopException(DiagnosticCodes.DeviceUnavailable,
                "device: cuda was asked for but TorchSharp sees no CUDA device. Use a CUDA libtorch (package TorchSharp-cuda-linux, or set DOP_LIBTORCH_DIR / --libtorch-dir to the lib/ folder of a matching libtorch or PyTorch install) on a machine with an NVIDIA GPU, or use device: cpu.",
                specPath, at?.Line ?? 0, at?.Column ?? 0);
    }
}
