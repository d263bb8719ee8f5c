using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Text;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Search.Evaluation;

/// <summary>
/// Exact-match accuracy of greedy answers on the search's validation samples (what <c>dop eval</c> counts: the decoded
/// answer, trimmed, equals the expected one), for <c>max_accuracy_drop</c> targets. The prompts are the prepared samples'
/// own embeddings without their teacher-forced tail.
/// </summary>
internal sealed class AnswerEvaluator
{
    private readonly SearchContext _context;
    private readonly ModelTokenizer _tokenizer;
    private readonly string[] _answers;
    private readonly int _maxNewTokens;
    private readonly SearchStatistics _statistics;

    public AnswerEvaluator(SearchContext context, string modelFolder, IReadOnlyList<ValidationSample> validation, SearchStatistics statistics)
    {
        _context = context;
        _statistics = statistics;
        _tokenizer = ModelTokenizer.Load(modelFolder);
        _answers = context.Samples.Select(s => validation[s.Index].Answer.Trim()).ToArray();
        // dop eval's default of 8 new tokens, or one more than the longest expected answer: past that a generation is wrong
        // whatever follows, so more tokens would change no verdict.
        _maxNewTokens = Math.Max(8, _answers.Select(a => _tokenizer.Encode(a).Length).DefaultIfEmpty(0).Max() + 1);
    }

    public int Samples => _answers.Length;

    /// <summary>The share of samples answered exactly right: unpruned when <paramref name="policy"/> is null.</summary>
    public double Accuracy(DepthPolicy? policy, IReadOnlyList<GroupDefinition> groups)
    {
        var model = _context.Model;
        var names = groups.Select(g => g.Name).ToArray();
        var eos = _tokenizer.EosId ?? -1;
        var correct = 0;
        for (var i = 0; i < _context.Samples.Count; i++)
        {
            var sample = _context.Samples[i];
            using var scope = NewDisposeScope();
            var forced = sample.OutputPositions.Length - 1;
            var promptLength = sample.OutputPositions[0] + 1;
            var prompt = sample.Embeddings.narrow(0, 0, promptLength);
            ExecutionPlan? plan = null;
            if (policy is not null)
            {
                var segments = sample.Segments with { TextLength = sample.Segments.TextLength - forced };
                var layout = SampleLayoutBuilder.Build(groups, segments, sample.ClsAttention, alwaysKeptTail: 1, sample.ImageGrid);
                plan = ExecutionPlan.Build(policy.ToMask(names, _context.Layers), layout, [promptLength - 1], model.Rotary);
            }

            try
            {
                var answer = _tokenizer.Decode(GreedyDecoder.Generate(model, prompt, plan, _maxNewTokens, eos)).Trim();
                correct += answer == _answers[i] ? 1 : 0;
            }
            finally
            {
                plan?.Dispose();
            }

            _statistics.LayerEvaluations += _context.Layers;
        }

        _statistics.ValidationRuns++;
        return _answers.Length == 0 ? 0 : (double)correct / _answers.Length;
    }
}
