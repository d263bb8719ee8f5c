using OxyPlot;

namespace DopCompiler.Cli.Reporting;

/// <summary>
/// Measures text for OxyPlot's layout (legend boxes, axis margins) and draws nothing. OxyPlot's default measurer for SVG
/// (its PDF context's Helvetica metrics, in points) gives about three quarters of the width Arial/Liberation Sans takes
/// in a browser at the same pixel size, and too little line height: legend lines overlapped and legend titles were
/// clipped. Scaling its measure keeps the library's metrics and only adds room.
/// </summary>
internal sealed class TextMeasurer : RenderContextBase
{
    private const double WidthFactor = 1.4;
    private const double LineHeight = 1.3;

    private readonly PdfRenderContext _metrics = new(ReportPlots.Width, ReportPlots.Height, OxyColors.White);

    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var size = _metrics.MeasureText(text, fontFamily, fontSize, fontWeight);
        var lines = Math.Max(1, text.Split('\n').Length);
        return new OxySize(size.Width * WidthFactor, Math.Max(size.Height, lines * fontSize * LineHeight));
    }

    public override int ClipCount => 0;

    public override void PushClip(OxyRect clippingRectangle) => throw new NotSupportedException("measures only");

    public override void PopClip() => throw new NotSupportedException("measures only");

    public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation,
        HorizontalAlignment halign, VerticalAlignment valign, OxySize? maxSize) => throw new NotSupportedException("measures only");

    public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) =>
        throw new NotSupportedException("measures only");

    public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) =>
        throw new NotSupportedException("measures only");
}
