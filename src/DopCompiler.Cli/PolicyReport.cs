using System.Globalization;
using System.Net;
using System.Text;
using DopCompiler.Model.Pruning;
using DopCompiler.Policy;
using DopCompiler.Search;
using DopCompiler.Search.Document;
using DopCompiler.Search.Solving;

namespace DopCompiler.Cli;

/// <summary>
/// One self-contained HTML page for a policy: every divergence curve, the budget/divergence frontier re-solved from the
/// curves, and a layer × group × module map of what is kept. Hand-written SVG, no script.
/// </summary>
public static class PolicyReport
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

    public static string Render(PolicyDocument document)
    {
        var c = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>DOP policy: ").Append(Encode(document.Model.Name)).Append("</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>");
        html.Append("<h1>DOP policy for ").Append(Encode(document.Model.Name)).Append("</h1>");
        html.Append(string.Create(c, $"<p>Model hash <code>{Encode(document.Model.Hash)}</code>, {document.Model.NumLayers} decoder layers. Budget {Encode(document.Budget.Kind)} {document.Budget.Asked:0.####} asked, {document.Budget.Reached:0.####} reached; decoder prefill FLOPs {document.Flops.Pruned / 1e9:0.###} of {document.Flops.Unpruned / 1e9:0.###} GFLOPs ({document.Budget.FlopsFraction:0.####}). KL predicted {document.Divergence.PredictedKl:0.######}, measured {(document.Divergence.MeasuredKl < 0 ? "not measured" : document.Divergence.MeasuredKl.ToString("0.######", c))} on {document.Divergence.Samples} samples.</p>"));
        html.Append("<h2>Depths</h2><table><tr><th>module</th><th>group</th><th>pruned deepest layers</th></tr>");
        foreach (var d in document.Depths)
        {
            html.Append(string.Create(c, $"<tr><td>{Encode(d.Module)}</td><td>{Encode(d.Group)}</td><td>{d.Depth}</td></tr>"));
        }

        html.Append("</table><h2>Divergence curves</h2>").Append(CurvesSvg(document));
        html.Append("<h2>Budget / divergence frontier</h2>").Append(FrontierSvg(document));
        html.Append("<h2>What each layer keeps</h2>").Append(LayerMapSvg(document));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string CurvesSvg(PolicyDocument document)
    {
        var series = document.Curves.Select(curve => (Label: $"{curve.Module}/{curve.Group}", Points: curve.Kl.Select((kl, depth) => ((double)depth, kl)).ToArray())).ToArray();
        return LinePlot(series, "pruned deepest layers", "KL", logY: true);
    }

    private static string FrontierSvg(PolicyDocument document)
    {
        var cost = PolicyPricing.FlopsCost(document);
        var solver = new PolicySolver(cost, PolicyPricing.Curves(document));
        var unpruned = cost.Of(DepthPolicy.Empty);
        var points = new List<(double, double)>();
        for (var fraction = 0.05; fraction <= 1.0001; fraction += 0.05)
        {
            var solution = solver.Solve(fraction * unpruned);
            if (solution.Feasible)
            {
                points.Add((solution.Cost / unpruned, solution.PredictedKl));
            }
        }

        return LinePlot([("predicted KL at budget", points.ToArray())], "FLOPs fraction", "KL", logY: true,
            marker: (document.Budget.FlopsFraction, document.Divergence.PredictedKl));
    }

    private static string LayerMapSvg(PolicyDocument document)
    {
        const int cell = 18;
        var groups = document.Groups.Select(g => g.Name).ToArray();
        var columns = groups.Length * 2;
        var width = 120 + (columns * cell) + 20;
        var height = 40 + (document.Layers.Count * cell) + 20;
        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-size=\"11\">"));
        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var (module, offset) in new[] { ("attn", 0), ("mlp", 1) })
            {
                var x = 120 + (((g * 2) + offset) * cell);
                svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{x + 2}\" y=\"30\" transform=\"rotate(-45 {x + 2} 30)\">{Encode(groups[g])} {module}</text>"));
            }
        }

        foreach (var layer in document.Layers)
        {
            var y = 40 + (layer.Layer * cell);
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{y + 13}\">layer {layer.Layer}</text>"));
            for (var g = 0; g < groups.Length; g++)
            {
                var kept = new[] { layer.Attention.Contains(groups[g]), layer.Mlp.Contains(groups[g]) };
                for (var m = 0; m < 2; m++)
                {
                    var x = 120 + (((g * 2) + m) * cell);
                    svg.Append(string.Create(CultureInfo.InvariantCulture,
                        $"<rect x=\"{x}\" y=\"{y}\" width=\"{cell - 2}\" height=\"{cell - 2}\" fill=\"{(kept[m] ? "#4c9f38" : "#eeeeee")}\"><title>layer {layer.Layer} {Encode(groups[g])} {(m == 0 ? "attention" : "MLP")}: {(kept[m] ? "kept" : "pruned")}</title></rect>"));
                }
            }
        }

        return svg.Append("</svg><p>Green: kept; grey: pruned.</p>").ToString();
    }

    private static string LinePlot(IReadOnlyList<(string Label, (double X, double Y)[] Points)> series, string xLabel, string yLabel, bool logY,
        (double X, double Y)? marker = null)
    {
        const int width = 640, height = 360, left = 70, right = 180, top = 20, bottom = 50;
        var all = series.SelectMany(s => s.Points).ToArray();
        if (all.Length == 0)
        {
            return "<p>(no data)</p>";
        }

        var floor = logY ? Math.Max(1e-6, all.Where(p => p.Y > 0).Select(p => p.Y).DefaultIfEmpty(1e-6).Min()) : 0;
        double Ty(double y) => logY ? Math.Log10(Math.Max(y, floor)) : y;
        double minX = all.Min(p => p.X), maxX = all.Max(p => p.X);
        double minY = all.Min(p => Ty(p.Y)), maxY = all.Max(p => Ty(p.Y));
        if (maxX == minX)
        {
            maxX = minX + 1;
        }

        if (maxY == minY)
        {
            maxY = minY + 1;
        }

        double Sx(double x) => left + ((x - minX) / (maxX - minX) * (width - left - right));
        double Sy(double y) => top + ((1 - ((Ty(y) - minY) / (maxY - minY))) * (height - top - bottom));
        var c = CultureInfo.InvariantCulture;
        var svg = new StringBuilder(string.Create(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-size=\"11\">"));
        svg.Append(string.Create(c, $"<rect x=\"{left}\" y=\"{top}\" width=\"{width - left - right}\" height=\"{height - top - bottom}\" fill=\"none\" stroke=\"#999\"/>"));
        svg.Append(string.Create(c, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">{Encode(xLabel)}</text>"));
        svg.Append(string.Create(c, $"<text x=\"14\" y=\"{(top + height - bottom) / 2}\" transform=\"rotate(-90 14 {(top + height - bottom) / 2})\" text-anchor=\"middle\">{Encode(yLabel)}{(logY ? " (log)" : "")}</text>"));
        for (var i = 0; i <= 4; i++)
        {
            var x = minX + ((maxX - minX) * i / 4);
            var ty = minY + ((maxY - minY) * i / 4);
            var y = logY ? Math.Pow(10, ty) : ty;
            svg.Append(string.Create(c, $"<text x=\"{Sx(x):0.#}\" y=\"{height - bottom + 15}\" text-anchor=\"middle\">{x:0.##}</text>"));
            svg.Append(string.Create(c, $"<text x=\"{left - 4}\" y=\"{Sy(y) + 4:0.#}\" text-anchor=\"end\">{y:0.###E0}</text>"));
        }

        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var path = string.Join(" ", series[s].Points.Select((p, i) => string.Create(c, $"{(i == 0 ? "M" : "L")}{Sx(p.X):0.##},{Sy(p.Y):0.##}")));
            svg.Append(string.Create(c, $"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>"));
            svg.Append(string.Create(c, $"<text x=\"{width - right + 10}\" y=\"{top + 14 + (s * 16)}\" fill=\"{color}\">{Encode(series[s].Label)}</text>"));
        }

        if (marker is { } m)
        {
            svg.Append(string.Create(c, $"<circle cx=\"{Sx(m.X):0.##}\" cy=\"{Sy(m.Y):0.##}\" r=\"5\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\"><title>chosen policy</title></circle>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
