using System.Globalization;
using DopCompiler.Search.Document;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace DopCompiler.Cli.Reporting;

/// <summary>
/// The report's plots as OxyPlot models, exported to inline SVG by OxyPlot's own exporter: a maintained plotting library
/// (axes, ticks, legends, clipping) instead of hand-placed SVG, and still a self-contained page with no script.
/// KL is drawn on a log axis; a KL of 0 (nothing pruned) has no place there and is left out.
/// </summary>
public static class ReportPlots
{
    public const int Width = 900;
    public const int Height = 460;

    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x2c, 0xa0, 0x2c), OxyColor.FromRgb(0x94, 0x67, 0xbd),
        OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x8c, 0x56, 0x4b), OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    private static readonly MarkerType[] ChosenMarkers = [MarkerType.Diamond, MarkerType.Triangle, MarkerType.Square, MarkerType.Star, MarkerType.Cross];

    /// <summary>
    /// Predicted KL against FLOPs fraction over the whole reachable range: the envelope over image-token counts, one thinner
    /// line per count (the n_v choices), every chosen policy marked and named, every measured check beside the line.
    /// </summary>
    public static PlotModel Frontier(ReportInput input, FrontierResult frontier)
    {
        var model = NewModel();
        var xs = frontier.Envelope.Select(p => p.FlopsFraction)
            .Concat(input.Chosen.Select(c => c.Document.Budget.FlopsFraction))
            .Concat(input.Checks.Select(c => c.FlopsFraction))
            .Append(1.0).ToArray();
        var (low, high) = (xs.Min(), xs.Max());
        var pad = Math.Max(0.01, (high - low) * 0.04);
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Title = "decoder prefill FLOPs, fraction of the unpruned model",
            Minimum = Math.Max(0, low - pad),
            Maximum = high + pad,
            LabelFormatter = PlotLabels.Decimal,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xe4, 0xe4, 0xe4),
        });
        model.Axes.Add(KlAxis("predicted / measured joint KL (log scale)", PositiveValues(frontier.Envelope.Select(p => p.PredictedKl)
            .Concat(input.Chosen.Select(c => c.Document.Divergence.PredictedKl))
            .Concat(input.Checks.SelectMany(c => new[] { c.PredictedKl, c.MeasuredKl })))));

        var countLines = frontier.Lines.Count > 1;
        if (countLines)
        {
            for (var i = 0; i < frontier.Lines.Count; i++)
            {
                var line = frontier.Lines[i];
                var series = Stairs(CountLabel(line.KeptImageTokens, frontier.ImageTokens), line.Points, Palette[(i + 1) % Palette.Length], 1.2);
                series.LineStyle = LineStyle.Dash;
                model.Series.Add(series);
            }
        }

        model.Series.Add(Stairs(countLines ? "best over n_v (predicted)" : "predicted KL at budget", frontier.Envelope, OxyColors.Black, 2.2));

        if (input.Checks.Count > 0)
        {
            var measured = new ScatterSeries
            {
                Title = "measured KL",
                MarkerType = MarkerType.Circle,
                MarkerSize = 5,
                MarkerFill = OxyColors.Transparent,
                MarkerStroke = OxyColor.FromRgb(0xd6, 0x27, 0x28),
                MarkerStrokeThickness = 1.8,
            };
            foreach (var check in input.Checks.Where(c => c.MeasuredKl > 0))
            {
                measured.Points.Add(new ScatterPoint(check.FlopsFraction, check.MeasuredKl));
            }

            model.Series.Add(measured);
        }

        for (var i = 0; i < input.Chosen.Count; i++)
        {
            var chosen = input.Chosen[i];
            var (x, y) = (chosen.Document.Budget.FlopsFraction, chosen.Document.Divergence.PredictedKl);
            var marker = new ScatterSeries
            {
                Title = "chosen: " + chosen.Name,
                MarkerType = ChosenMarkers[i % ChosenMarkers.Length],
                MarkerSize = 8,
                MarkerFill = OxyColor.FromRgb(0xff, 0xbf, 0x00),
                MarkerStroke = OxyColors.Black,
                MarkerStrokeThickness = 1.2,
            };
            if (y > 0)
            {
                marker.Points.Add(new ScatterPoint(x, y));
                model.Annotations.Add(new TextAnnotation
                {
                    Text = chosen.Name,
                    TextPosition = new DataPoint(x, y),
                    TextHorizontalAlignment = HorizontalAlignment.Left,
                    // Right of the marker: the measured KL's circle sits just above or below it.
                    TextVerticalAlignment = VerticalAlignment.Middle,
                    Offset = new ScreenVector(12, 0),
                    Stroke = OxyColors.Transparent,
                    Background = OxyColor.FromAColor(200, OxyColors.White),
                    FontWeight = FontWeights.Bold,
                });
            }

            model.Series.Add(marker);
        }

        return model;
    }

    /// <summary>Every divergence curve: KL against the number of deepest layers pruned; dots at the measured depths.</summary>
    public static PlotModel Curves(IReadOnlyList<Policy.PolicyCurve> curves, int layers)
    {
        var model = NewModel();
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Title = "deepest layers pruned",
            Minimum = 0,
            Maximum = layers,
            MajorStep = layers <= 16 ? 1 : Math.Ceiling(layers / 16.0),
            MinorStep = 1,
            LabelFormatter = PlotLabels.Decimal,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xe4, 0xe4, 0xe4),
        });
        model.Axes.Add(KlAxis("KL when only this is pruned (log scale)", PositiveValues(curves.SelectMany(c => c.Kl))));
        for (var i = 0; i < curves.Count; i++)
        {
            var curve = curves[i];
            var color = Palette[i % Palette.Length];
            var line = new LineSeries
            {
                Title = $"{curve.Module} / {curve.Group}",
                Color = color,
                StrokeThickness = 1.8,
                MarkerType = MarkerType.None,
            };
            var dots = new ScatterSeries { MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = color, RenderInLegend = false };
            for (var depth = 0; depth < curve.Kl.Count; depth++)
            {
                if (curve.Kl[depth] > 0 && double.IsFinite(curve.Kl[depth]))
                {
                    line.Points.Add(new DataPoint(depth, curve.Kl[depth]));
                    if (curve.MeasuredDepths.Contains(depth))
                    {
                        dots.Points.Add(new ScatterPoint(depth, curve.Kl[depth]));
                    }
                }
            }

            model.Series.Add(line);
            model.Series.Add(dots);
        }

        return model;
    }

    /// <summary>
    /// The model as an inline <c>&lt;svg&gt;</c> element (no XML header). OxyPlot numbers its clip paths from 1 in every
    /// export; two plots inline in one page would share the ids, and the second plot would clip to the first one's
    /// rectangles (its legend vanished), so each plot's ids get <paramref name="idPrefix"/>.
    /// </summary>
    public static string Svg(PlotModel model, string idPrefix) =>
        SvgExporter.ExportToString(model, Width, Height, isDocument: false, new TextMeasurer())
            .Replace("id=\"clipPath", "id=\"" + idPrefix + "clipPath", StringComparison.Ordinal)
            .Replace("url(#clipPath", "url(#" + idPrefix + "clipPath", StringComparison.Ordinal);

    /// <summary>"n_v = 36" for a count below the full one, "all 144 image tokens" for the full count.</summary>
    public static string CountLabel(int kept, int imageTokens) =>
        imageTokens > 0 && kept >= imageTokens ? $"all {imageTokens} image tokens" : string.Create(CultureInfo.InvariantCulture, $"n_v = {kept}");

    private static PlotModel NewModel()
    {
        var model = new PlotModel
        {
            Culture = CultureInfo.InvariantCulture,
            DefaultFont = "Arial",
            DefaultFontSize = 12,
            Background = OxyColors.White,
            PlotMargins = new OxyThickness(double.NaN, double.NaN, double.NaN, double.NaN),
        };
        model.Legends.Add(new Legend
        {
            LegendPlacement = LegendPlacement.Outside,
            LegendPosition = LegendPosition.RightTop,
            LegendOrientation = LegendOrientation.Vertical,
            LegendBorder = OxyColor.FromRgb(0xcc, 0xcc, 0xcc),
            LegendBackground = OxyColors.White,
        });
        return model;
    }

    private static LogarithmicAxis KlAxis(string title, double[] values)
    {
        var axis = new LogarithmicAxis
        {
            Position = AxisPosition.Left,
            Title = title,
            LabelFormatter = PlotLabels.Decimal,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xe4, 0xe4, 0xe4),
            MinorGridlineStyle = LineStyle.Dot,
            MinorGridlineColor = OxyColor.FromRgb(0xf0, 0xf0, 0xf0),
        };
        if (values.Length > 0)
        {
            // Whole decades around the data, so the labels are 0.001, 0.01, 0.1, ... rather than odd in-between values.
            axis.Minimum = Math.Pow(10, Math.Floor(Math.Log10(values.Min())));
            axis.Maximum = Math.Pow(10, Math.Ceiling(Math.Log10(values.Max()) + 1e-9));
        }

        return axis;
    }

    private static double[] PositiveValues(IEnumerable<double> values) => values.Where(v => v > 0 && double.IsFinite(v)).ToArray();

    private static StairStepSeries Stairs(string title, IEnumerable<FrontierPoint> points, OxyColor color, double thickness)
    {
        // The frontier is a step function of the budget: from each policy's cost the next cheaper policy's KL holds until
        // the next dearer one's cost.
        var series = new StairStepSeries { Title = title, Color = color, StrokeThickness = thickness, VerticalStrokeThickness = thickness * 0.6 };
        foreach (var point in points.Where(p => p.PredictedKl > 0))
        {
            series.Points.Add(new DataPoint(point.FlopsFraction, point.PredictedKl));
        }

        return series;
    }
}
