using System.Globalization;
using System.Net;
using System.Text;
using DopCompiler.Cli.Reporting;
using DopCompiler.Policy;
using DopCompiler.Search.Document;

namespace DopCompiler.Cli;

/// <summary>
/// One self-contained HTML page for a policy file: the chosen policies, the budget/divergence frontier re-solved from the
/// curves over the whole reachable range (one line per image-token count, every chosen policy and measured check marked),
/// the n_v choices, every divergence curve, and per chosen policy a layer × group × module map of what is kept. Plots
/// are OxyPlot models exported as inline SVG; tables are HTML. No script, no external file.
/// </summary>
public static class PolicyReport
{
    private const string Style =
        "body{font-family:Arial,Helvetica,sans-serif;margin:1.5em 2em;max-width:1100px;color:#222}" +
        "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1em}" +
        "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}" +
        "th{background:#f4f4f4}td.l,th.l{text-align:left}p.note{color:#555;font-size:.9em;max-width:900px}" +
        "table.map td{width:2.6em;padding:0;height:1.25em}table.map td.k{background:#4c9f38}table.map td.p{background:#e8e8e8}" +
        "table.map td.d{background:#fff;color:#bbb}table.map th{font-weight:normal;font-size:.85em;text-align:center}svg{display:block}";

    public static string Render(PolicyDocument document) => Render(ReportInput.Of(document));

    public static string Render(ReportInput input)
    {
        var document = input.Document;
        var frontier = PolicyFrontier.Of(document, input.Chosen.Select(c => c.Document.Budget.FlopsFraction));
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>DOP policy: ").Append(Encode(document.Model.Name))
            .Append("</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<h1>DOP policy for ").Append(Encode(document.Model.Name)).Append("</h1>");
        html.Append(Invariant($"<p>Model hash <code>{Encode(document.Model.Hash)}</code>, {document.Model.NumLayers} decoder layers, unpruned decoder prefill {document.Flops.Unpruned / 1e9:0.###} GFLOPs. KL measured over {document.Divergence.Samples} validation samples ({Encode(document.Divergence.Positions)} positions).</p>"));

        ChosenTable(html, input, frontier);
        html.Append("<h2>Budget / divergence frontier</h2>");
        html.Append(ReportPlots.Svg(ReportPlots.Frontier(input, frontier), "frontier-"));
        html.Append("<p class=\"note\">The solver's best predicted KL (sum of the curves) at each FLOPs budget, re-solved from the curves in this file, from the cheapest reachable policy to the unpruned model. ");
        if (frontier.Lines.Count > 1)
        {
            html.Append("Dashed: the frontier when only n_v image tokens enter the decoder (D(n_v) added); black: the best over those counts, which the search picks from. ");
        }

        html.Append("Filled markers: the chosen policies at their predicted KL; open circles: KL measured on the validation set. A policy with nothing pruned has KL 0, off the log scale.");
        if (document.Budget.Kind == "latency_fraction")
        {
            html.Append(" This policy was solved for predicted time; the frontier is priced in FLOPs, so it may sit above the line.");
        }

        html.Append("</p>");
        TokenCountTable(html, input, frontier);
        QualityTables(html, input);
        ChecksTable(html, input);
        DepthTable(html, input);
        html.Append("<h2>Divergence curves</h2>");
        html.Append(ReportPlots.Svg(ReportPlots.Curves(document.Curves, document.Model.NumLayers), "curves-"));
        html.Append("<p class=\"note\">Each curve is the KL when only that module of that group is pruned in the deepest layers; dots mark measured depths, the rest is interpolated.</p>");
        html.Append("<h2>What each layer keeps</h2>");
        foreach (var chosen in input.Chosen)
        {
            if (input.Chosen.Count > 1)
            {
                html.Append("<h3>").Append(Encode(chosen.Name)).Append("</h3>");
            }

            LayerMap(html, chosen.Document);
        }

        html.Append("<p class=\"note\">Green: runs; grey: pruned; blank: the group has left the sequence (dropped, never read again).</p>");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void ChosenTable(StringBuilder html, ReportInput input, FrontierResult frontier)
    {
        html.Append("<h2>Chosen ").Append(input.Chosen.Count == 1 ? "policy" : "policies").Append("</h2><table><tr><th class=\"l\">policy</th><th>budget asked</th><th>reached</th><th>FLOPs fraction</th>");
        var anyTime = input.Chosen.Any(c => c.Document.Time is { UnprunedMilliseconds: > 0 });
        if (anyTime)
        {
            html.Append("<th>predicted time fraction</th>");
        }

        html.Append("<th>image tokens kept (n_v)</th><th>predicted KL</th><th>measured KL</th><th>accuracy</th></tr>");
        foreach (var chosen in input.Chosen)
        {
            var d = chosen.Document;
            html.Append("<tr><td class=\"l\">").Append(Encode(chosen.Name)).Append("</td><td>").Append(Encode(d.Budget.Kind)).Append(' ').Append(PlotLabels.Significant(d.Budget.Asked, 4))
                .Append("</td><td>").Append(PlotLabels.Significant(d.Budget.Reached, 4)).Append("</td><td>").Append(PlotLabels.Significant(d.Budget.FlopsFraction, 4)).Append("</td>");
            if (anyTime)
            {
                html.Append("<td>").Append(d.Time is { UnprunedMilliseconds: > 0 } t ? PlotLabels.Significant(t.PredictedMilliseconds / t.UnprunedMilliseconds, 4) : "—").Append("</td>");
            }

            var kept = PolicyFrontier.KeptImageTokens(d);
            html.Append("<td>").Append(frontier.ImageTokens > 0 ? (kept >= frontier.ImageTokens ? Invariant($"all {kept}") : Invariant($"{kept} of {frontier.ImageTokens}")) : "—").Append("</td>")
                .Append("<td>").Append(PlotLabels.Significant(d.Divergence.PredictedKl)).Append("</td>")
                .Append("<td>").Append(d.Divergence.MeasuredKl < 0 ? "not measured" : PlotLabels.Significant(d.Divergence.MeasuredKl)).Append("</td>")
                .Append("<td>").Append(chosen.Accuracy is { } a ? Invariant($"{a * 100:0.0}%") : "not measured").Append("</td></tr>");
        }

        html.Append("</table>");
    }

    /// <summary>The n_v choices: per image-token count, its own divergence, its cheapest policy, and its best KL at each chosen policy's cost.</summary>
    private static void TokenCountTable(StringBuilder html, ReportInput input, FrontierResult frontier)
    {
        if (frontier.ImageTokens <= 0)
        {
            return;
        }

        html.Append("<h2>Image tokens kept (n_v choices)</h2>");
        if (frontier.Lines.Count == 1)
        {
            html.Append("<p class=\"note\">n_v was not searched (no <code>grid.n_v</code> in the spec): all image tokens enter the decoder.</p>");
            return;
        }

        html.Append("<table><tr><th>image tokens kept</th><th>D(n_v)</th><th>cheapest FLOPs fraction</th>");
        foreach (var chosen in input.Chosen)
        {
            html.Append("<th>predicted KL at ").Append(PlotLabels.Significant(chosen.Document.Budget.FlopsFraction)).Append(" (").Append(Encode(chosen.Name)).Append(")</th>");
        }

        html.Append("</tr>");
        foreach (var line in frontier.Lines)
        {
            html.Append("<tr><td>").Append(Encode(ReportPlots.CountLabel(line.KeptImageTokens, frontier.ImageTokens))).Append("</td><td>").Append(PlotLabels.Significant(line.CountKl))
                .Append("</td><td>").Append(line.Points.Count > 0 ? PlotLabels.Significant(line.Points[0].FlopsFraction) : "—").Append("</td>");
            foreach (var chosen in input.Chosen)
            {
                var kept = PolicyFrontier.KeptImageTokens(chosen.Document) == line.KeptImageTokens;
                var best = line.Points.LastOrDefault(p => p.FlopsFraction <= chosen.Document.Budget.FlopsFraction + 1e-9);
                html.Append(kept ? "<td><b>" : "<td>").Append(best is null ? "out of reach" : PlotLabels.Significant(best.PredictedKl)).Append(kept ? " (chosen)</b></td>" : "</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
        if (input.Document.TokenCounts is null)
        {
            html.Append("<p class=\"note\">This policy file does not record D(n_v) for the other counts on the grid (written before <code>token_counts</code>); only all tokens and the chosen count are shown.</p>");
        }
    }

    /// <summary>
    /// Each quality target's walk: the candidates the bisection measured on the validation set, in the order it measured
    /// them, and the statistical margin at this N (a target below it cannot be told from noise).
    /// </summary>
    private static void QualityTables(StringBuilder html, ReportInput input)
    {
        foreach (var chosen in input.Chosen.Where(c => c.Document.Quality is not null))
        {
            var quality = chosen.Document.Quality!;
            var drop = quality.Kind == "max_accuracy_drop";
            string Value(double v) => drop ? Invariant($"{v * 100:0.0} points") : PlotLabels.Significant(v);
            html.Append("<h2>Quality target: ").Append(Encode(chosen.Name)).Append("</h2>");
            html.Append(Invariant($"<p>{Encode(quality.Kind)} {Value(quality.Target)}, cheapest in {Encode(quality.Price)}: the chosen policy is position {quality.FrontierPosition} of {quality.FrontierSize} on the frontier (0 = cheapest), measured {Value(quality.Measured)}"));
            if (quality.UnprunedAccuracy is { } unpruned)
            {
                html.Append(Invariant($" (unpruned accuracy {unpruned * 100:0.0}%)"));
            }

            html.Append(Invariant($"; {quality.CandidatesMeasured} candidates measured on {quality.Samples} validation samples. Standard error {Value(quality.StandardError)}, 95% margin {Value(quality.Margin95)}"));
            html.Append(quality.Target < quality.Margin95
                ? ": the target is below the margin, so at this N it cannot be told from noise (a larger validation set narrows it).</p>"
                : ".</p>");
            html.Append("<table><tr><th>measured</th><th>position</th><th class=\"l\">policy</th><th>FLOPs fraction</th><th>cost fraction</th><th>")
                .Append(drop ? "accuracy drop" : "joint KL").Append("</th><th>meets the target</th></tr>");
            var order = 1;
            foreach (var candidate in quality.Candidates)
            {
                html.Append(Invariant($"<tr><td>{order++}</td><td>{candidate.Position}</td><td class=\"l\">")).Append(Encode(candidate.Policy))
                    .Append("</td><td>").Append(PlotLabels.Significant(candidate.FlopsFraction)).Append("</td><td>").Append(PlotLabels.Significant(candidate.CostFraction))
                    .Append("</td><td>").Append(Value(candidate.Measured)).Append("</td><td>").Append(candidate.Meets ? "yes" : "no").Append("</td></tr>");
            }

            html.Append("</table>");
        }
    }

    private static void ChecksTable(StringBuilder html, ReportInput input)
    {
        if (input.Checks.Count == 0)
        {
            html.Append("<p class=\"note\">No policy's KL was measured on the validation set.</p>");
            return;
        }

        html.Append("<h2>Measured checks</h2><table><tr><th class=\"l\">policy</th><th>FLOPs fraction</th><th>predicted KL</th><th>measured KL</th><th>measured / predicted</th><th>accuracy</th></tr>");
        foreach (var check in input.Checks)
        {
            html.Append("<tr><td class=\"l\">").Append(Encode(check.Label)).Append("</td><td>").Append(PlotLabels.Significant(check.FlopsFraction))
                .Append("</td><td>").Append(PlotLabels.Significant(check.PredictedKl)).Append("</td><td>").Append(PlotLabels.Significant(check.MeasuredKl))
                .Append("</td><td>").Append(check.PredictedKl > 0 ? PlotLabels.Significant(check.MeasuredKl / check.PredictedKl) : "—")
                .Append("</td><td>").Append(check.Accuracy is { } a ? Invariant($"{a * 100:0.0}%") : "not measured").Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static void DepthTable(StringBuilder html, ReportInput input)
    {
        html.Append("<h2>Depths</h2><table><tr><th class=\"l\">module</th><th class=\"l\">group</th>");
        foreach (var chosen in input.Chosen)
        {
            html.Append("<th>deepest layers pruned").Append(input.Chosen.Count > 1 ? " (" + Encode(chosen.Name) + ")" : "").Append("</th>");
        }

        html.Append("</tr>");
        var keys = input.Chosen.SelectMany(c => c.Document.Depths.Select(d => (d.Module, d.Group))).Distinct().ToArray();
        foreach (var (module, group) in keys)
        {
            html.Append("<tr><td class=\"l\">").Append(Encode(module)).Append("</td><td class=\"l\">").Append(Encode(group)).Append("</td>");
            foreach (var chosen in input.Chosen)
            {
                var depth = chosen.Document.Depths.FirstOrDefault(d => d.Module == module && d.Group == group)?.Depth ?? 0;
                html.Append("<td>").Append(depth.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    /// <summary>
    /// An HTML table (readable horizontal headers: the group over its attention and MLP columns) with one row per layer; each
    /// cell says in its title what runs there.
    /// </summary>
    private static void LayerMap(StringBuilder html, PolicyDocument document)
    {
        var groups = document.Groups.Select(g => g.Name).ToArray();
        html.Append("<table class=\"map\"><tr><th rowspan=\"2\">layer</th>");
        foreach (var group in groups)
        {
            html.Append("<th colspan=\"2\">").Append(Encode(group)).Append("</th>");
        }

        html.Append("</tr><tr>");
        foreach (var _ in groups)
        {
            html.Append("<th>attn</th><th>MLP</th>");
        }

        html.Append("</tr>");
        var gone = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in document.Layers)
        {
            gone.UnionWith(layer.Dropped);
            html.Append("<tr><th>").Append(layer.Layer.ToString(CultureInfo.InvariantCulture)).Append("</th>");
            foreach (var group in groups)
            {
                foreach (var (module, runs) in new[] { ("attention", layer.Attention.Contains(group)), ("MLP", layer.Mlp.Contains(group)) })
                {
                    var (css, state) = gone.Contains(group) ? ("d", "dropped") : runs ? ("k", "runs") : ("p", "pruned");
                    html.Append("<td class=\"").Append(css).Append("\" title=\"layer ").Append(layer.Layer.ToString(CultureInfo.InvariantCulture)).Append(' ')
                        .Append(Encode(group)).Append(' ').Append(module).Append(": ").Append(state).Append("\"></td>");
                }
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
