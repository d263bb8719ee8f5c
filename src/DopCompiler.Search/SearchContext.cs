using DopCompiler.Model;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Tensors;
using DopCompiler.Model.Text;
using DopCompiler.Spec;
using static TorchSharp.torch;
using DopCompiler.Inputs.Images;
using DopCompiler.Search.Evaluation;

namespace DopCompiler.Search;

/// <summary>
/// The model and the validation samples prepared once: image features, prompt layouts, the original model's
/// answers and log-probabilities, and its hidden states at every layer boundary. Everything the curves reuse.
/// </summary>
public sealed class SearchContext : IDisposable
{
    private SearchContext(LlavaModel model, IReadOnlyList<GroupDefinition> groups, IReadOnlyList<SearchSample> samples)
    {
        Model = model;
        Groups = groups;
        Samples = samples;
    }

    public LlavaModel Model { get; }

    public IReadOnlyList<GroupDefinition> Groups { get; }

    public IReadOnlyList<SearchSample> Samples { get; }

    public int Layers => Model.Config.Text.NumLayers;

    public IReadOnlyList<string> GroupNames => Groups.Select(g => g.Name).ToArray();

    /// <summary>The groups as the spec defines them (a [CLS] split becomes two groups).</summary>
    public static IReadOnlyList<GroupDefinition> GroupsOf(DopSpec spec)
    {
        var groups = new List<GroupDefinition>();
        foreach (var group in spec.Groups)
        {
            var source = group.Source.ToString().ToLowerInvariant();
            var ranking = group.Ranking == ImageRanking.Spread ? ImageTokenOrder.SpreadWord : ImageTokenOrder.ClsWord;
            if (group.ClsSplit is { } split)
            {
                groups.Add(new GroupDefinition(group.Name + "_key", "image_key", group.Prunable, split.KeyFraction, ranking));
                groups.Add(new GroupDefinition(group.Name + "_rest", "image_rest", group.Prunable, 1 - split.KeyFraction, ranking));
            }
            else
            {
                // An unsplit image group keeps its ranking for the n_v grid (ImageTokenSplit).
                groups.Add(new GroupDefinition(group.Name, source, group.Prunable, Ranking: ranking));
            }
        }

        return groups;
    }

    /// <summary>Loads the model and prepares every validation sample (one reference run over the set).</summary>
    public static SearchContext Prepare(DopSpec spec, IReadOnlyList<ValidationSample> validation, ISearchProgress progress, SearchStatistics statistics,
        Device? device = null)
    {
        progress.Info(device.IsHost() ? $"loading model {spec.Model}" : $"loading model {spec.Model} onto {device}");
        var model = LlavaModel.Load(spec.Model, device: device);
        try
        {
            var tokenizer = ModelTokenizer.Load(spec.Model);
            var preprocessor = ImagePreprocessor.FromFile(Path.Combine(spec.Model, "preprocessor_config.json"), model.Config.Vision?.ImageSize);
            var groups = GroupsOf(spec);
            var maxPositions = spec.Divergence.Positions == DivergencePositions.FirstAnswer ? 1 : spec.Divergence.MaxPositions;
            var samples = new List<SearchSample>(validation.Count);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < validation.Count; i++)
            {
                progress.Step("reference run", i, validation.Count);
                samples.Add(PrepareSample(model, tokenizer, preprocessor, groups, validation[i], i, maxPositions, statistics));
            }

            progress.Step("reference run", validation.Count, validation.Count);
            statistics.ValidationRuns++;
            statistics.ReferencePass = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            return new SearchContext(model, groups, samples);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Runs the original model over a sample from its embeddings and returns the hidden state at each boundary.</summary>
    public static Tensor[] Boundaries(LlavaModel model, Tensor embeddings, ExecutionPlan emptyPlan, SearchStatistics statistics)
    {
        var layers = model.Config.Text.NumLayers;
        var boundaries = new Tensor[layers + 1];
        boundaries[0] = embeddings.clone().DetachFromDisposeScope();
        for (var l = 0; l < layers; l++)
        {
            boundaries[l + 1] = PrunedForward.RunLayers(model, boundaries[l], emptyPlan, l, l + 1);
        }

        statistics.LayerEvaluations += layers;
        return boundaries;
    }

    public void Dispose()
    {
        foreach (var sample in Samples)
        {
            sample.Dispose();
        }

        Model.Dispose();
    }

    private static SearchSample PrepareSample(LlavaModel model, ModelTokenizer tokenizer, ImagePreprocessor preprocessor, IReadOnlyList<GroupDefinition> groups,
        ValidationSample sample, int index, int maxPositions, SearchStatistics statistics)
    {
        using var scope = NewDisposeScope();
        var (features, cls, grid) = ImageInput.Encode(model, preprocessor, sample.ImagePath);
        var promptIds = tokenizer.EncodePrompt(sample.Prompt);
        if (!promptIds.Contains(model.Config.ImageTokenIndex))
        {
            throw new DopException(DiagnosticCodes.PromptLayout,
                $"the prompt has no image token (id {model.Config.ImageTokenIndex}): put <image> where the image goes", sample.ImagePath);
        }

        var promptEmbeddings = model.EmbedPrompt(promptIds, features, out var promptSegments);

        // The original model's own greedy answer is what the pruned model is held to (teacher-forced, §4).
        var answer = maxPositions > 1
            ? GreedyDecoder.Generate(model, promptEmbeddings, plan: null, maxPositions, tokenizer.EosId ?? -1)
            : [];
        // Greedy decoding ran only for teacher-forced positions: its prefill and each decoded token pass every layer once.
        statistics.LayerEvaluations += model.Config.Text.NumLayers * (long)answer.Count;
        // Positions: the last prompt position, then each forced answer token except the last (it predicts nothing compared).
        var forced = answer.Take(Math.Max(0, Math.Min(answer.Count, maxPositions - 1))).ToArray();
        var ids = promptIds.Concat(forced).ToArray();
        var embeddings = forced.Length == 0 ? promptEmbeddings : model.EmbedPrompt(ids, features, out _);
        var segments = new PromptSegments(promptSegments.SystemLength, promptSegments.ImageLength, promptSegments.TextLength + forced.Length);
        var outputs = Enumerable.Range(promptSegments.Length - 1, forced.Length + 1).ToArray();
        var clsAttention = cls.ToHostFloats();
        var layout = SampleLayoutBuilder.Build(groups, segments, clsAttention, forced.Length + 1, grid);

        using var emptyPlan = ExecutionPlan.Build(OperationMask.KeepAll(layout.Groups.Select(g => g.Name).ToArray(), model.Config.Text.NumLayers), layout, outputs, model.Rotary);
        var boundaries = Boundaries(model, embeddings, emptyPlan, statistics);
        var logits = model.Logits(emptyPlan.Output.Gather(boundaries[^1]));
        var reference = Divergence.LogProbabilities(logits).DetachFromDisposeScope();
        return new SearchSample
        {
            Index = index,
            Embeddings = embeddings.DetachFromDisposeScope(),
            Layout = layout,
            OutputPositions = outputs,
            ReferenceLogProbs = reference,
            Boundaries = boundaries,
            Segments = segments,
            ClsAttention = clsAttention,
            ImageGrid = grid,
        };
    }
}
