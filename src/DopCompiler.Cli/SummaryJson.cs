using System.Text.Json;
using DopCompiler.Search;

namespace DopCompiler.Cli;

/// <summary>The <c>--json</c> summary of a search, for machines.</summary>
public static class SummaryJson
{
    public static string Of(string policyPath, SearchOutcome outcome)
    {
        var d = outcome.Document;
        return JsonSerializer.Serialize(new
        {
            policy = policyPath,
            budget = new { kind = d.Budget.Kind, asked = d.Budget.Asked, reached = d.Budget.Reached, flops_fraction = d.Budget.FlopsFraction },
            quality = d.Quality is { } q
                ? new { kind = q.Kind, target = q.Target, price = q.Price, measured = q.Measured, samples = q.Samples, standard_error = q.StandardError, margin_95 = q.Margin95, candidates_measured = q.CandidatesMeasured, frontier_size = q.FrontierSize }
                : null,
            kl = new { predicted = d.Divergence.PredictedKl, measured = d.Divergence.MeasuredKl },
            depths = d.Depths.Select(x => new { x.Module, x.Group, x.Depth }),
            validation_runs = outcome.Statistics.ValidationRuns,
            layer_evaluations = outcome.Statistics.LayerEvaluations,
            seconds = outcome.Statistics.Elapsed.TotalSeconds,
            cache_hit = outcome.CacheHit,
            checks = outcome.Checks.Select(c => new { policy = c.Policy, predicted = c.Predicted, measured = c.Measured, flops_fraction = c.CostFraction }),
        });
    }
}
