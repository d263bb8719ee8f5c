using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Model;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Pruning;
using DopCompiler.Search.Solving;
using DopCompiler.Spec;

namespace DopCompiler.Search;

/// <summary>
/// What every phase of one search reads and none changes: the spec and options, the validation set, the budget asked,
/// the cache keys, the model's config, the groups and the n_v grid (checked against the groups and the model).
/// </summary>
internal sealed record SearchSetup(
    DopSpec Spec,
    SearchOptions Options,
    ValidationSet Validation,
    double Budget,
    SearchInputs Inputs,
    ModelConfig Config,
    IReadOnlyList<GroupDefinition> Groups,
    int[]? TokenCountGrid)
{
    /// <summary>
    /// For the second and later budgets of <c>budgets:</c>: the image-token count the first budget chose, which they keep
    /// too (one class has one prompt layout; <see cref="int.MaxValue"/> or the full count: all tokens). Null: n_v is solved.
    /// </summary>
    public int? FixedImageTokens { get; init; }

    public int Layers => Config.Text.NumLayers;

    public int ImageTokens => Config.ImageTokensPerImage;

    /// <summary>Reads the validation set and the model's config and checks the n_v grid; nothing is loaded or run yet.</summary>
    /// <exception cref="SpecException">The validation set is malformed.</exception>
    /// <exception cref="DopException">
    /// DOP045 when the n_v grid does not fit the groups or the model (or the model is anyres); DOP046 when an image split
    /// would rank tokens by [CLS] attention on a tower that has no [CLS] token (SigLIP) or on tiled images.
    /// </exception>
    public static SearchSetup Prepare(DopSpec spec, SearchOptions options, ISearchProgress progress)
    {
        var validationResult = ValidationSetReader.Read(spec.Validation);
        if (!validationResult.Succeeded)
        {
            throw new SpecException(validationResult.Diagnostics);
        }

        var validation = validationResult.Value!;
        // The search measures curves and the joint KL in fp32 whatever the precision (docs/spec.md, "bf16 and the search"):
        // exact curves first; bf16 curves with a noise-floor clamp are the measured next step.
        if (spec.Precision == PrecisionKind.Auto)
        {
            progress.Info($"precision for the generated class on this machine: {Model.Modules.PrecisionProbe.Cached().Describe()}; the search measures in fp32");
        }
        else
        {
            // Carried to the generated class through the policy's 'precision' (DOP_PRECISION in the app's process still overrides it).
            progress.Info($"precision for the generated class: {(spec.Precision == PrecisionKind.Bf16 ? "bf16" : "fp32")} (forced by the spec); the search measures in fp32");
        }

        var budget = options.Budget ?? spec.Budget.Value;
        var inputs = SearchInputs.Of(spec, validation, budget);
        var config = ModelConfigReader.Read(spec.Model);
        var groups = SearchContext.GroupsOf(spec);
        var grid = TokenCountGridOf(spec, groups, config);
        CheckClsRanking(spec, groups, config);
        return new SearchSetup(spec, options, validation, budget, inputs, config, groups, grid);
    }

    /// <summary>
    /// A SigLIP tower has no [CLS] token, and a tiled (anyres) image has one per tile but none over its packed tokens, so
    /// there is no [CLS] attention to rank image tokens by: a <c>cls_split</c> or
    /// an <c>n_v</c> grid whose ranking is <c>cls</c> (the default) is refused with a pointer to <c>ranking: spread</c>
    /// rather than given a made-up order (docs/spec.md, <c>groups[].ranking</c>). Groups that are never split need no
    /// ranking and search as on CLIP.
    /// </summary>
    private static void CheckClsRanking(DopSpec spec, IReadOnlyList<GroupDefinition> groups, ModelConfig config)
    {
        if (config.Vision is not { } vision || (vision.HasClassToken && !config.IsAnyres))
        {
            return;
        }

        var ranked = groups.FirstOrDefault(g => g.Ranking == ImageTokenOrder.ClsWord
            && (g.Source is "image_key" or "image_rest" || (g.Source == "image" && spec.Grid.NV is not null)));
        if (ranked is not null)
        {
            var what = ranked.Source == "image" ? "grid.n_v" : "cls_split";
            throw new DopException(DiagnosticCodes.ClsRanking,
                $"{what} on group '{ranked.Name}' ranks image tokens by [CLS] attention (ranking: cls, the default), but {(config.IsAnyres ? $"a {config.ModelType} image is several tiles with no single [CLS] over the packed tokens" : $"the {vision.ModelType} tower has no [CLS] token")}; add 'ranking: spread' to the image group",
                spec.SourcePath);
        }
    }

    /// <summary>The spec's n_v grid checked against the groups and the model (null when n_v is not searched).</summary>
    private static int[]? TokenCountGridOf(DopSpec spec, IReadOnlyList<GroupDefinition> groups, ModelConfig config)
    {
        if (spec.Grid.NV is not { } grid)
        {
            return null;
        }

        if (config.IsAnyres)
        {
            // n_v is a count of one image's tokens, kept the same for every prompt; a tiled image has as many tokens as its
            // size gives (docs/spec.md, "Anyres models"). A cls_split with 'ranking: spread' keeps a share of each image.
            throw new DopException(DiagnosticCodes.TokenCountGrid,
                $"grid.n_v keeps a fixed count of image tokens, but a {config.ModelType} model's image-token count differs per image size; "
                + "split the image group by share instead (cls_split with 'ranking: spread')", spec.SourcePath);
        }

        var imageTokens = config.ImageTokensPerImage;

        var image = ImageTokenSplit.ImageGroupIndex(groups);
        if (image < 0 || !groups[image].Prunable)
        {
            throw new DopException(DiagnosticCodes.TokenCountGrid,
                "grid.n_v needs a prunable image group without cls_split (n_v keeps the first image tokens in the group's ranking order itself)", spec.SourcePath);
        }

        if (grid.FirstOrDefault(c => c >= imageTokens) is var tooMany and > 0)
        {
            throw new DopException(DiagnosticCodes.TokenCountGrid,
                $"grid.n_v: {tooMany} is not below the model's {imageTokens} image tokens (keeping all of them is always an option)", spec.SourcePath);
        }

        return grid.Order().ToArray();
    }
}
