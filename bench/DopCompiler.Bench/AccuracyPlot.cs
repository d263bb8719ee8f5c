using System.Globalization;
using System.Text;

namespace DopCompiler.Bench;

/// <summary>A hand-written SVG: exact-match accuracy vs decoder prefill FLOPs fraction, one line per method.</summary>
public static class AccuracyPlot
{
    private static readonly (string Method, string Color, string Dash)[] Series =
    [
        (MethodRun.Dop, "#d62728", ""),
        (MethodRun.DopLatency, "#ff9896", "2,3"),
        (MethodRun.FastV, "#1f77b4", ""),
        (MethodRun.Uniform, "#2ca02c", ""),
        (MethodRun.Random, "#7f7f7f", "6,3"),
    ];

    public static void Write(string path, IReadOnlyList<MethodRun> runs, double[] fractions, string subtitle)
    {
        const double width = 640, height = 420, left = 60, right = 190, top = 50, bottom = 50;
        double plotW = width - left - right, plotH = height - top - bottom;
        double X(double f) => left + (f * plotW);
        double Y(double a) => top + ((1 - a) * plotH);
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine($"<text x=\"{F(left)}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Exact-match accuracy vs decoder prefill FLOPs fraction</text>");
        svg.AppendLine($"<text x=\"{F(left)}\" y=\"37\" fill=\"#555\">{Escape(subtitle)}</text>");
        for (var i = 0; i <= 10; i++)
        {
            var v = i / 10.0;
            svg.AppendLine($"<line x1=\"{F(X(v))}\" y1=\"{F(top)}\" x2=\"{F(X(v))}\" y2=\"{F(top + plotH)}\" stroke=\"#eee\"/>");
            svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(Y(v))}\" x2=\"{F(left + plotW)}\" y2=\"{F(Y(v))}\" stroke=\"#eee\"/>");
            if (i % 2 == 0)
            {
                svg.AppendLine($"<text x=\"{F(X(v))}\" y=\"{F(top + plotH + 16)}\" text-anchor=\"middle\">{F(v)}</text>");
                svg.AppendLine($"<text x=\"{F(left - 6)}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{i * 10}%</text>");
            }
        }

        svg.AppendLine($"<rect x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" fill=\"none\" stroke=\"#333\"/>");
        svg.AppendLine($"<text x=\"{F(left + (plotW / 2))}\" y=\"{F(height - 12)}\" text-anchor=\"middle\">decoder prefill FLOPs fraction (analytic, test layouts)</text>");
        svg.AppendLine($"<text transform=\"translate(16 {F(top + (plotH / 2))}) rotate(-90)\" text-anchor=\"middle\">accuracy</text>");

        var unpruned = runs.FirstOrDefault(r => r.Method == MethodRun.Unpruned);
        if (unpruned is not null && !double.IsNaN(unpruned.Accuracy))
        {
            svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(Y(unpruned.Accuracy))}\" x2=\"{F(left + plotW)}\" y2=\"{F(Y(unpruned.Accuracy))}\" stroke=\"#000\" stroke-dasharray=\"4,4\"/>");
            svg.AppendLine($"<circle cx=\"{F(X(1))}\" cy=\"{F(Y(unpruned.Accuracy))}\" r=\"4\" fill=\"#000\"/>");
        }

        var legendY = top + 10;
        if (unpruned is not null)
        {
            svg.AppendLine($"<line x1=\"{F(width - right + 15)}\" y1=\"{F(legendY)}\" x2=\"{F(width - right + 40)}\" y2=\"{F(legendY)}\" stroke=\"#000\" stroke-dasharray=\"4,4\"/>");
            svg.AppendLine($"<text x=\"{F(width - right + 46)}\" y=\"{F(legendY + 4)}\">unpruned ({unpruned.Accuracy * 100:0.0}%)</text>");
            legendY += 20;
        }

        foreach (var (method, color, dash) in Series)
        {
            var points = runs.Where(r => r.Method == method && !double.IsNaN(r.Accuracy)).OrderBy(r => r.FlopsFraction).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var dashAttr = dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "";
            svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dashAttr} points=\"{string.Join(" ", points.Select(p => $"{F(X(p.FlopsFraction))},{F(Y(p.Accuracy))}"))}\"/>");
            foreach (var p in points)
            {
                svg.AppendLine($"<circle cx=\"{F(X(p.FlopsFraction))}\" cy=\"{F(Y(p.Accuracy))}\" r=\"3.5\" fill=\"{color}\"><title>{Escape(method)}: FLOPs {p.FlopsFraction:0.000}, accuracy {p.Accuracy * 100:0.0}%</title></circle>");
            }

            svg.AppendLine($"<line x1=\"{F(width - right + 15)}\" y1=\"{F(legendY)}\" x2=\"{F(width - right + 40)}\" y2=\"{F(legendY)}\" stroke=\"{color}\" stroke-width=\"2\"{dashAttr}/>");
            svg.AppendLine($"<text x=\"{F(width - right + 46)}\" y=\"{F(legendY + 4)}\">{Escape(method)}</text>");
            legendY += 20;
        }

        svg.AppendLine($"<text x=\"{F(width - right + 15)}\" y=\"{F(legendY + 10)}\" fill=\"#555\">budgets: {string.Join(", ", fractions.Select(F))}</text>");
        svg.AppendLine("</svg>");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, svg.ToString());
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
