using System.Diagnostics;
using DopCompiler.Model;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Spec;

namespace DopCompiler.Search;

/// <summary>
/// The whole search for one spec: reference run, curves (or the curve cache), the budget solve, the measured joint KL
/// and the policy document. The CLI's <c>search</c> and <c>solve</c> commands call this.
/// </summary>
public static class DopSearch
{
    public static SearchOutcome Run(DopSpec spec, SearchOptions options, ISearchProgress progress, CancellationToken cancellation = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var statistics = new SearchStatistics();
        progress = new CancellableProgress(progress, cancellation);
        var validationResult = ValidationSetReader.Read(spec.Validation);
        if (!validationResult.Succeeded)
        {
            throw new SpecException(validationResult.Diagnostics);
        }

        var validation = validationResult.Value!;
        if (spec.Precision == PrecisionKind.Bf16)
        {
            progress.Warning("DOP044", "precision: bf16 is not used by this version: the search computes in fp32");
        }

        var budget = options.Budget ?? spec.Budget.Value;
        var inputs = SearchInputs.Of(spec, validation, budget);
        var config = ModelConfigReader.Read(spec.Model);
        var layers = config.Text.NumLayers;
        var groups = SearchContext.GroupsOf(spec);
        var imageTokens = config.ImageTokensPerImage;
        var tokenCounts = TokenCountGrid(spec, groups, imageTokens);
        var cache = new CurveCache(options.CacheFolder);
        var entry = options.UseCache ? cache.TryRead(inputs.CurveKey) : null;
        var cacheHit = entry is not null;
        SearchContext? context = null;
        LlavaModel? probeModel = null;
        try
        {
            if (entry is null)
            {
                context = SearchContext.Prepare(spec, validation.Samples, progress, statistics, options.Device);
                var modules = spec.Modules.Select(m => m == PrunableModule.Attention ? PolicyParameter.Attention : PolicyParameter.Mlp).ToArray();
                var parameters = CurveBuilder.Parameters(groups, modules);
                progress.Info($"measuring {parameters.Count} divergence curves on {context.Samples.Count} samples (grid step {spec.Grid.Step}{(options.ReusePrefix ? ", prefix reuse" : "")})");
                var curves = new CurveBuilder(context, statistics).Build(parameters, spec.Grid.Step, options.ReusePrefix, progress);
                TokenCountCurve? countCurve = null;
                if (tokenCounts is not null)
                {
                    // n_v varied alone (§3): only the first n_v image tokens in the ranking order enter the decoder.
                    var evaluator = new PolicyEvaluator(context, statistics);
                    var kl = new double[tokenCounts.Length];
                    for (var i = 0; i < tokenCounts.Length; i++)
                    {
                        progress.Step("n_v curve", i, tokenCounts.Length);
                        kl[i] = evaluator.MeanKl(ImageTokenSplit.Policy(DepthPolicy.Empty, groups, tokenCounts[i], imageTokens, layers),
                            ImageTokenSplit.Groups(groups, tokenCounts[i], imageTokens));
                    }

                    progress.Step("n_v curve", tokenCounts.Length, tokenCounts.Length);
                    countCurve = new TokenCountCurve(groups[ImageTokenSplit.ImageGroupIndex(groups)].Name, imageTokens, tokenCounts, kl);
                }

                var mean = MeanLayout.Of(context);
                entry = new CurveCacheEntry
                {
                    Key = inputs.CurveKey,
                    ToolVersion = ToolVersion.Current,
                    Layers = layers,
                    Samples = context.Samples.Count,
                    MeanSizes = mean.Sizes,
                    MeanAlwaysKept = mean.AlwaysKept,
                    Curves = curves.ToList(),
                    TokenCounts = countCurve,
                };
                cache.Write(entry);
            }
            else
            {
                progress.Info($"curves from the cache ({cache.Folder}): no validation run");
            }

            var layout = new MeanLayout(groups, entry.MeanSizes, entry.MeanAlwaysKept);
            var convention = spec.Flops == Spec.FlopsCounting.Paper ? FlopsConvention.Paper : FlopsConvention.Gqa;
            var flopsModel = new FlopsModel(config.Text, convention);
            var flopsCost = new PolicyCost(new FlopsCostModel(flopsModel), layout, layers);

            TimeModel? time = null;
            if (spec.Budget.Kind == BudgetKind.LatencyFraction)
            {
                time = entry.Time is { } cached && cached.Machine == TimeModel.MachineIdentity(options.Device) && cached.Probe == TimeModelProbe.Version ? cached : null;
                if (time is null)
                {
                    progress.Info("fitting the time model (timed probe of one decoder layer)");
                    var model = context?.Model ?? (probeModel = LlavaModel.Load(spec.Model, device: options.Device));
                    time = TimeModelProbe.Fit(model, (int)Math.Ceiling(layout.Sizes.Sum()));
                    entry = entry with { Time = time };
                    cache.Write(entry);
                }
            }

            var cost = time is null ? flopsCost : new PolicyCost(time, layout, layers);
            var unpruned = cost.Of(DepthPolicy.Empty);
            var budgetCost = spec.Budget.Kind switch
            {
                BudgetKind.Tflops => budget * 1e12,
                _ => budget * unpruned,
            };
            var (solution, keptImageTokens) = SolveWithTokenCounts(entry, cost, layout, budgetCost, time is null ? new FlopsCostModel(flopsModel) : time, layers);
            if (!solution.Feasible)
            {
                progress.Warning("DOP041", $"the budget cannot be reached even with every prunable operation pruned; using the cheapest policy ({solution.Cost / unpruned:0.000} of unpruned)");
            }

            var checks = new List<ApproximationCheck>();
            var measured = -1.0;
            if (context is null && options.MeasureOnCacheHit)
            {
                context = SearchContext.Prepare(spec, validation.Samples, progress, statistics, options.Device);
            }

            if (context is not null)
            {
                progress.Info("measuring the chosen policy's joint KL on the validation set");
                var evaluator = new PolicyEvaluator(context, statistics);
                measured = keptImageTokens < imageTokens
                    ? evaluator.MeanKl(ImageTokenSplit.Policy(solution.Policy, groups, keptImageTokens, imageTokens, layers), ImageTokenSplit.Groups(groups, keptImageTokens, imageTokens))
                    : evaluator.MeanKl(solution.Policy);
                checks.Add(new ApproximationCheck(Describe(solution.Policy) + (keptImageTokens < imageTokens ? $" n_v={keptImageTokens}" : ""), solution.PredictedKl, measured,
                    ScaledCost(new FlopsCostModel(flopsModel), layout, keptImageTokens, imageTokens, layers).Of(solution.Policy) / flopsCost.Of(DepthPolicy.Empty)));
                var random = new Random(spec.Seed);
                for (var i = 0; i < options.RandomPolicies; i++)
                {
                    var policy = RandomPolicy(random, entry.Curves, layers);
                    var predicted = entry.Curves.Sum(c => c.Kl[Depth(policy, c)]);
                    checks.Add(new ApproximationCheck(Describe(policy), predicted, evaluator.MeanKl(policy), flopsCost.Of(policy) / flopsCost.Of(DepthPolicy.Empty)));
                }
            }

            // An image-token count below the full one is stated as a [CLS]-ranked split (see ImageTokenSplit).
            var documentGroups = ImageTokenSplit.Groups(groups, keptImageTokens, imageTokens);
            var documentSolution = solution with { Policy = ImageTokenSplit.Policy(solution.Policy, groups, keptImageTokens, imageTokens, layers) };
            var documentLayout = ImageTokenSplit.Layout(layout, documentGroups, keptImageTokens, imageTokens);
            var document = BuildDocument(spec, config, inputs, documentGroups, documentLayout, entry, documentSolution, flopsModel, flopsCost, time, unpruned, budget, measured,
                validation.Samples.Count, ImageTokenSplit.Curves(entry.Curves, groups, keptImageTokens, imageTokens));
            statistics.Elapsed = stopwatch.Elapsed;
            return new SearchOutcome(document, statistics, cacheHit, checks);
        }
        finally
        {
            context?.Dispose();
            probeModel?.Dispose();
        }
    }

    /// <summary>"attention/image=4 mlp/image=6": a policy in one line for logs and reports.</summary>
    public static string Describe(DepthPolicy policy) =>
        string.Join(" ", policy.AttentionDepth.Where(d => d.Value > 0).OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"attention/{d.Key}={d.Value}")
            .Concat(policy.MlpDepth.Where(d => d.Value > 0).OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"mlp/{d.Key}={d.Value}")))
        is { Length: > 0 } text ? text : "(nothing pruned)";

    private static int Depth(DepthPolicy policy, DivergenceCurve curve) =>
        (curve.Module == PolicyParameter.Attention ? policy.AttentionDepth : policy.MlpDepth).GetValueOrDefault(curve.Group);

    private static DepthPolicy RandomPolicy(Random random, IReadOnlyList<DivergenceCurve> curves, int layers)
    {
        var attention = new Dictionary<string, int>();
        var mlp = new Dictionary<string, int>();
        foreach (var curve in curves)
        {
            (curve.Module == PolicyParameter.Attention ? attention : mlp)[curve.Group] = random.Next(layers + 1);
        }

        return new DepthPolicy(attention, mlp);
    }

    private static PolicyDocument BuildDocument(DopSpec spec, ModelConfig config, SearchInputs inputs, IReadOnlyList<GroupDefinition> groups, MeanLayout layout,
        CurveCacheEntry entry, PolicySolution solution, FlopsModel flopsModel, PolicyCost flopsCost, TimeModel? time, double unprunedCost,
        double budget, double measured, int samples, IReadOnlyList<DivergenceCurve> curves)
    {
        var policyGroups = groups.Select((g, i) => new PolicyGroup
        {
            Name = g.Name,
            Source = g.Source,
            Prunable = g.Prunable,
            MeanTokens = Math.Round(layout.Sizes[i], 6),
            MeanAlwaysKept = Math.Round(layout.AlwaysKept[i], 6),
            ImageFraction = g.ImageFraction,
            Ranking = g.Source is "image_key" or "image_rest" && g.Ranking != ImageTokenOrder.ClsWord ? g.Ranking : null,
        }).ToList();
        var document = PolicyDocumentFactory.Create(config, Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.Model)), inputs.ModelHash, policyGroups, solution.Policy);
        document.SpecHash = inputs.PolicyKey;
        var mask = solution.Policy.ToMask(groups.Select(g => g.Name).ToArray(), entry.Layers);
        var breakdown = flopsModel.Prefill(mask, layout.Sizes, layout.AlwaysKept);
        var unprunedFlops = flopsCost.Of(DepthPolicy.Empty);
        var flopsFraction = breakdown.Total / unprunedFlops;
        document.Budget = new PolicyBudget
        {
            Kind = spec.Budget.Kind switch { BudgetKind.Tflops => "tflops", BudgetKind.LatencyFraction => "latency_fraction", _ => "fraction" },
            Asked = budget,
            Reached = spec.Budget.Kind switch
            {
                BudgetKind.Tflops => breakdown.Total / 1e12,
                BudgetKind.LatencyFraction => solution.Cost / unprunedCost,
                _ => flopsFraction,
            },
            FlopsFraction = flopsFraction,
        };
        document.Divergence = new PolicyDivergence
        {
            PredictedKl = solution.PredictedKl,
            MeasuredKl = measured,
            Positions = spec.Divergence.Positions == DivergencePositions.FirstAnswer ? "first_answer" : "teacher_forced",
            MaxPositions = spec.Divergence.Positions == DivergencePositions.FirstAnswer ? 1 : spec.Divergence.MaxPositions,
            Samples = samples,
        };
        document.Flops = new PolicyFlops
        {
            Convention = flopsModel.Convention == Model.Flops.FlopsConvention.Paper ? "paper" : "gqa",
            Unpruned = unprunedFlops,
            Pruned = breakdown.Total,
            Projections = breakdown.Projections,
            Attention = breakdown.Attention,
            Mlp = breakdown.Mlp,
        };
        if (time is not null)
        {
            document.Time = new PolicyTime { UnprunedMilliseconds = unprunedCost, PredictedMilliseconds = solution.Cost, Machine = time.Machine };
        }

        document.Curves = curves
            .OrderBy(c => c.Module, StringComparer.Ordinal).ThenBy(c => c.Group, StringComparer.Ordinal)
            .Select(c => new PolicyCurve { Module = c.Module, Group = c.Group, Kl = c.Kl.ToList(), MeasuredDepths = c.MeasuredDepths.ToList() })
            .ToList();
        return document;
    }

    /// <summary>The spec's n_v grid checked against the groups and the model (null when n_v is not searched).</summary>
    private static int[]? TokenCountGrid(DopSpec spec, IReadOnlyList<GroupDefinition> groups, int imageTokens)
    {
        if (spec.Grid.NV is not { } grid)
        {
            return null;
        }

        var image = ImageTokenSplit.ImageGroupIndex(groups);
        if (image < 0 || !groups[image].Prunable)
        {
            throw new DopException(TokenCountCode,
                "grid.n_v needs a prunable image group without cls_split (n_v keeps the first image tokens in the group's ranking order itself)", spec.SourcePath);
        }

        if (grid.FirstOrDefault(c => c >= imageTokens) is var tooMany and > 0)
        {
            throw new DopException(TokenCountCode,
                $"grid.n_v: {tooMany} is not below the model's {imageTokens} image tokens (keeping all of them is always an option)", spec.SourcePath);
        }

        return grid.Order().ToArray();
    }

    /// <summary>
    /// The budgeted solve with the image-token count as one more parameter: for each n_v on the grid (and the full
    /// count) the depth problem is solved exactly on a layout whose image group holds n_v tokens, and D(n_v) is added
    /// (additive approximation); the lowest predicted divergence within the budget wins.
    /// </summary>
    private static (PolicySolution Solution, int KeptImageTokens) SolveWithTokenCounts(CurveCacheEntry entry, PolicyCost cost, MeanLayout layout,
        double budgetCost, ILayerCostModel costModel, int layers)
    {
        var full = new PolicySolver(cost, entry.Curves).Solve(budgetCost);
        if (entry.TokenCounts is not { } counts)
        {
            return (full, int.MaxValue);
        }

        var best = (Solution: full, Count: counts.ImageTokens);
        foreach (var count in counts.Counts) // the grid is below the full count (checked on entry)
        {
            var scaled = new PolicySolver(ScaledCost(costModel, layout, count, counts.ImageTokens, layers), entry.Curves).Solve(budgetCost);
            var candidate = scaled with { PredictedKl = scaled.PredictedKl + counts.KlAt(count) };
            var better = (candidate.Feasible, best.Solution.Feasible) switch
            {
                (true, false) => true,
                (false, true) => false,
                (true, true) => candidate.PredictedKl < best.Solution.PredictedKl - 1e-15
                    || (Math.Abs(candidate.PredictedKl - best.Solution.PredictedKl) <= 1e-15 && candidate.Cost < best.Solution.Cost),
                _ => candidate.Cost < best.Solution.Cost,
            };
            if (better)
            {
                best = (candidate, count);
            }
        }

        return best;
    }

    /// <summary>The cost of depth policies over the base groups when only <paramref name="count"/> of the image tokens enter the decoder.</summary>
    private static PolicyCost ScaledCost(ILayerCostModel costModel, MeanLayout layout, int count, int imageTokens, int layers) =>
        new(costModel, ImageTokenSplit.ScaledLayout(layout, count, imageTokens), layers);

    private const string TokenCountCode = "DOP045";

    private sealed class CancellableProgress(ISearchProgress inner, CancellationToken cancellation) : ISearchProgress
    {
        public void Info(string message)
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Info(message);
        }

        public void Step(string phase, int done, int total)
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Step(phase, done, total);
        }

        public void Warning(string code, string message) => inner.Warning(code, message);
    }
}
