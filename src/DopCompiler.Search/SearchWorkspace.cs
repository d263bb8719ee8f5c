using DopCompiler.Model.Modules;

namespace DopCompiler.Search;

/// <summary>
/// The model-backed state a search may need, made on first use and disposed once: the validation run
/// (<see cref="SearchContext"/>: curves and measurement) or, when only the time model needs a model, the bare model.
/// </summary>
internal sealed class SearchWorkspace(SearchSetup setup, ISearchProgress progress, SearchStatistics statistics) : IDisposable
{
    private LlavaModel? _probeModel;

    /// <summary>The validation run, when a phase has prepared it.</summary>
    public SearchContext? Context { get; private set; }

    /// <summary>The validation run: the model loaded and every sample's reference pass done (once).</summary>
    public SearchContext PrepareContext() =>
        Context ??= SearchContext.Prepare(setup.Spec, setup.Validation.Samples, progress, statistics, setup.Options.Device);

    /// <summary>The validation run's model, or the model loaded alone when the curves came from the cache.</summary>
    public LlavaModel ModelForTiming() => Context?.Model ?? (_probeModel ??= LlavaModel.Load(setup.Spec.Model, device: setup.Options.Device));

    public void Dispose()
    {
        Context?.Dispose();
        _probeModel?.Dispose();
    }
}
