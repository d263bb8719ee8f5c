using System.Globalization;
using System.Text.RegularExpressions;
using DopCompiler.Cli;
using DopCompiler.Cli.Reporting;
using DopCompiler.Policy;
using DopCompiler.Search.Document;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace DopCompiler.Search.Tests;

/// <summary>The HTML report's behaviour: what its frontier covers and marks, how it labels, and that it stays script-free.</summary>
public sealed class PolicyReportTests
{
    [Theory]
    [InlineData(0.2)]
    [InlineData(0.35)]
    [InlineData(0.7)]
    public void FrontierSpansTheCheapestPolicyToTheUnprunedModelAndHoldsTheChosenPolicy(double fraction)
    {
        var document = ReportFixture.Chosen(fraction);
        var frontier = PolicyFrontier.Of(document);
        var kept = PolicyFrontier.KeptImageTokens(document);
        var line = Assert.Single(frontier.Lines, l => l.KeptImageTokens == kept);

        // The chosen policy is a point of its own count's line (the search solved the same problem)...
        var atChosen = line.Points.Last(p => p.FlopsFraction <= document.Budget.FlopsFraction + 1e-9);
        Assert.Equal(document.Divergence.PredictedKl, atChosen.PredictedKl, 9);
        // ...and the envelope reaches below it and up to (nearly) the unpruned model.
        Assert.True(frontier.Envelope[0].FlopsFraction <= document.Budget.FlopsFraction + 1e-9);
        Assert.True(frontier.Envelope[^1].FlopsFraction > 0.95);
        Assert.True(frontier.Envelope.Zip(frontier.Envelope.Skip(1)).All(p => p.First.FlopsFraction < p.Second.FlopsFraction && p.First.PredictedKl > p.Second.PredictedKl));
    }

    [Fact]
    public void ASplitPolicyIsReSolvedWithItsDroppedImageTokensPruned()
    {
        // The bug this fixes: re-solving the split groups left image_rest unpruned, so the frontier started far above the
        // chosen policy's cost (0.7–0.98 for a policy at 0.136 on the sample model).
        var document = ReportFixture.Chosen(0.2);
        Assert.Contains(document.Groups, g => g.Source == "image_rest");
        var frontier = PolicyFrontier.Of(document);
        Assert.True(frontier.Envelope[0].FlopsFraction < document.Budget.FlopsFraction);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.7)]
    public void FrontierPlotXRangeCoversTheChosenPolicyTheChecksAndTheCheapestAndDearestFrontierPoints(double fraction)
    {
        var document = ReportFixture.Chosen(fraction);
        var input = ReportInput.Of(document, [new ApproximationCheck("random", 0.9, 0.001, 0.05)]);
        var frontier = PolicyFrontier.Of(document);
        var model = ReportPlots.Frontier(input, frontier);
        ReportPlots.Svg(model, "t-"); // lays the plot out: the axes' actual ranges are set
        var x = Assert.Single(model.Axes, a => a.Position == AxisPosition.Bottom);
        var covered = frontier.Envelope.Select(p => p.FlopsFraction).Append(document.Budget.FlopsFraction).Append(0.05).Append(1.0);
        Assert.All(covered, v => Assert.InRange(v, x.ActualMinimum, x.ActualMaximum));
        var y = Assert.Single(model.Axes, a => a.Position == AxisPosition.Left);
        Assert.All(frontier.Envelope.Where(p => p.PredictedKl > 0).Select(p => p.PredictedKl).Append(document.Divergence.PredictedKl),
            v => Assert.InRange(v, y.ActualMinimum, y.ActualMaximum));
    }

    [Fact]
    public void EveryChosenPolicyHasAMarkerAtItsCostAndPredictedKLAndEveryCheckAMeasuredPoint()
    {
        var names = new[] { "fast", "balanced", "exact" };
        var chosen = new[] { 0.2, 0.4, 0.8 }.Select((f, i) => new ChosenPolicy(names[i], ReportFixture.Chosen(f), 0.9 - (i * 0.1))).ToArray();
        var checks = chosen.Select(c => new MeasuredCheck(c.Name, c.Document.Budget.FlopsFraction, c.Document.Divergence.PredictedKl, c.Document.Divergence.MeasuredKl, c.Accuracy)).ToArray();
        var input = new ReportInput(chosen[0].Document, chosen, checks);
        var model = ReportPlots.Frontier(input, PolicyFrontier.Of(input.Document));

        foreach (var policy in chosen)
        {
            var marker = Assert.Single(model.Series.OfType<ScatterSeries>(), s => s.Title == "chosen: " + policy.Name);
            var point = Assert.Single(marker.Points);
            Assert.Equal(policy.Document.Budget.FlopsFraction, point.X, 12);
            Assert.Equal(policy.Document.Divergence.PredictedKl, point.Y, 12);
        }

        var measured = Assert.Single(model.Series.OfType<ScatterSeries>(), s => s.Title == "measured KL");
        Assert.Equal(checks.Select(c => (c.FlopsFraction, c.MeasuredKl)), measured.Points.Select(p => (p.X, p.Y)));

        var html = PolicyReport.Render(input);
        Assert.All(names, n => Assert.Contains(">" + n + "<", html, StringComparison.Ordinal));
        Assert.Contains("70.0%", html, StringComparison.Ordinal); // the accuracy measured for "exact"
    }

    [Fact]
    public void AFileWithSeveralBudgetsReportsEveryVariantWithItsMarkerAndLayerMap()
    {
        var combined = PolicyDocumentFactory.Combine([("fast", ReportFixture.Chosen(0.2)), ("exact", ReportFixture.Chosen(0.6))]);
        var read = PolicySchema.TryParse(PolicySchema.Serialize(combined)).Document!; // as written and read back
        var input = ReportInput.Of(read);
        Assert.Equal(["fast", "exact"], input.Chosen.Select(c => c.Name));
        Assert.Equal(combined.Variants!.Select(v => v.Budget.FlopsFraction), input.Chosen.Select(c => c.Document.Budget.FlopsFraction));
        var model = ReportPlots.Frontier(input, PolicyFrontier.Of(read, input.Chosen.Select(c => c.Document.Budget.FlopsFraction)));
        Assert.All(input.Chosen, c => Assert.Single(model.Series.OfType<ScatterSeries>(), s => s.Title == "chosen: " + c.Name));
        var html = PolicyReport.Render(read);
        Assert.Equal(2, Regex.Matches(html, "<table class=\"map\">").Count);
        Assert.NotNull(read.VariantDocument("exact")!.TokenCounts); // the n_v grid travels with every variant
    }

    [Fact]
    public void AQualityTargetShowsItsMeasuredAccuracyItsCandidatesInWalkOrderAndTheMargin()
    {
        var document = ReportFixture.Chosen(0.3);
        document.Quality = new PolicyQuality
        {
            Kind = "max_accuracy_drop", Target = 0.01, Price = "flops", Measured = 0.0625, UnprunedAccuracy = 0.875, Samples = 16,
            StandardError = 0.09, Margin95 = 0.18, FrontierSize = 20, FrontierPosition = 9, CandidatesMeasured = 2,
            Candidates =
            [
                new PolicyQualityCandidate { Position = 9, Policy = "attention/image=4", CostFraction = 0.3, FlopsFraction = 0.3, Measured = 0.0625, Meets = false },
                new PolicyQualityCandidate { Position = 4, Policy = "attention/image=6 mlp/image=2", CostFraction = 0.2, FlopsFraction = 0.2, Measured = 0.125, Meets = false },
            ],
        };
        var read = PolicySchema.TryParse(PolicySchema.Serialize(document)).Document!;

        var input = ReportInput.Of(read);
        Assert.Equal(0.875 - 0.0625, input.Chosen.Single().Accuracy!.Value, 12);
        var html = PolicyReport.Render(input);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<td>{(0.875 - 0.0625) * 100:0.0}%</td>"), html); // the chosen policy's accuracy
        Assert.DoesNotContain("<td>not measured</td></tr></table><h2>Budget", html);
        var walk = html.IndexOf("attention/image=4<", StringComparison.Ordinal);
        var second = html.IndexOf("attention/image=6 mlp/image=2<", StringComparison.Ordinal);
        Assert.True(walk > 0 && second > walk, "candidates in the order measured");
        Assert.Contains("12.5 points", html);
        Assert.Contains("below the margin", html);

        // A variant of a budgets: file carries its own quality section into the report.
        var combined = PolicySchema.TryParse(PolicySchema.Serialize(PolicyDocumentFactory.Combine([("exact", document), ("fast", ReportFixture.Chosen(0.2))]))).Document!;
        Assert.Equal([0.875 - 0.0625, (double?)null], ReportInput.Of(combined).Chosen.Select(c => c.Accuracy));
        Assert.Contains("Quality target: exact", PolicyReport.Render(combined));

        document.Quality.Target = 0.5; // above the margin: no caveat
        Assert.DoesNotContain("below the margin", PolicyReport.Render(document));
        document.Quality = null; // a cost budget: no quality section, accuracy not measured
        Assert.DoesNotContain("Quality target", PolicyReport.Render(document));
        Assert.Null(ReportInput.Of(document).Chosen.Single().Accuracy);
    }

    [Fact]
    public void EveryPerVariantSectionSurvivesABudgetsFileBothWays()
    {
        // Each PolicyVariant section (but the name) is a PolicyDocument section of the same name, and AsVariant /
        // VariantDocument carry every one of them: a section added to one direction only fails here.
        var document = ReportFixture.Chosen(0.3);
        document.Quality = new PolicyQuality { Kind = "max_kl", Target = 0.05, Price = "flops", Measured = 0.04, Samples = 8 };
        document.Time = new PolicyTime();
        var sections = typeof(PolicyVariant).GetProperties().Where(p => p.Name != nameof(PolicyVariant.Name)).ToList();
        Assert.All(sections, p => Assert.Equal(p.PropertyType, typeof(PolicyDocument).GetProperty(p.Name)!.PropertyType));

        var back = PolicyDocumentFactory.Combine([("a", ReportFixture.Chosen(0.2)), ("b", document)]).VariantDocument("b")!;
        Assert.All(sections, p =>
        {
            var section = typeof(PolicyDocument).GetProperty(p.Name)!;
            Assert.NotNull(section.GetValue(document));
            Assert.Same(section.GetValue(document), section.GetValue(back));
        });
    }

    [Fact]
    public void ASplitPolicyFileIsReadByTheStrictReaderAndReported()
    {
        // The reader refused image_key/image_rest sources, so 'dop report' (and eval, trim) failed on every n_v policy.
        var path = Path.Combine(Path.GetTempPath(), $"dop-report-{Guid.NewGuid():N}.policy.json");
        try
        {
            PolicySchema.WriteAtomically(path, ReportFixture.Chosen(0.2));
            var read = PolicyFileReader.Read(path);
            Assert.Contains(read.Groups, g => g.Source == "image_rest");
            Assert.Contains("n_v = 4", PolicyReport.Render(read), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EachNVCountTheFileKnowsGetsALineAndARowAndTheChosenCountIsMarked()
    {
        var document = ReportFixture.Chosen(0.2);
        var frontier = PolicyFrontier.Of(document);
        Assert.Equal(ReportFixture.TokenCounts.Select(t => t.Count).Append(ReportFixture.ImageTokens), frontier.Lines.Select(l => l.KeptImageTokens));
        Assert.Equal(ReportFixture.TokenCounts.Select(t => t.Kl).Append(0), frontier.Lines.Select(l => l.CountKl));

        var html = PolicyReport.Render(document);
        foreach (var (count, _) in ReportFixture.TokenCounts)
        {
            Assert.Contains("n_v = " + count.ToString(CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        }

        Assert.Single(Regex.Matches(html, @"\(chosen\)</b>"));
    }

    [Fact]
    public void WithoutTokenCountsTheFileStillShowsAllTokensAndItsOwnCount()
    {
        var document = ReportFixture.Chosen(0.2, recordCounts: false);
        var kept = PolicyFrontier.KeptImageTokens(document);
        Assert.True(kept < ReportFixture.ImageTokens);
        var frontier = PolicyFrontier.Of(document);
        Assert.Equal(new[] { kept, ReportFixture.ImageTokens }, frontier.Lines.Select(l => l.KeptImageTokens));
        // The chosen count's D(n_v) is what the predicted KL holds beyond the depth curves.
        Assert.Equal(ReportFixture.TokenCounts.Single(t => t.Count == kept).Kl, frontier.Lines[0].CountKl, 12);
    }

    [Theory]
    [InlineData(0.2, true)]
    [InlineData(0.5, false)]
    public void TickLabelsArePlainDecimals(double fraction, bool searchCounts)
    {
        var html = PolicyReport.Render(ReportInput.Of(ReportFixture.Chosen(fraction, searchCounts), [new ApproximationCheck("random", 0.3, 0.0004, 0.5)]));
        var texts = Regex.Matches(html, @"<text[^>]*>([^<]*)</text>").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value).Trim()).ToArray();
        var numbers = texts.Where(t => Regex.IsMatch(t, @"^[-+0-9.eE]+$")).ToArray();
        Assert.NotEmpty(numbers);
        Assert.All(numbers, n => Assert.Matches(@"^-?\d+(\.\d+)?$", n));
        Assert.Contains("0.01", numbers); // a decade tick of the KL axes, written out
        Assert.DoesNotMatch(@"\d[eE][-+]?\d", string.Join(" ", texts));
    }

    [Theory]
    [InlineData(-0.0, "0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.2055, "0.2055")]
    [InlineData(1e-7, "0.0000001")]
    [InlineData(12.5, "12.5")]
    public void PlainDecimalLabels(double value, string expected) => Assert.Equal(expected, PlotLabels.Decimal(value));

    [Fact]
    public void ThePageIsSelfContainedWithNoScript()
    {
        var html = PolicyReport.Render(ReportInput.Of(ReportFixture.Chosen(0.3)));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
        Assert.DoesNotMatch(@"\s(src|href)\s*=", html);
        Assert.Equal(2, Regex.Matches(html, "<svg").Count);
        // Two inline plots: every id once in the page, so each plot clips to its own rectangles.
        var ids = Regex.Matches(html, "id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void LayerMapColumnsAreLabelledByGroupAndModuleAndEveryCellSaysWhatRuns()
    {
        var document = ReportFixture.Chosen(0.3);
        var html = PolicyReport.Render(document);
        var map = html[html.IndexOf("<table class=\"map\">", StringComparison.Ordinal)..];
        map = map[..(map.IndexOf("</table>", StringComparison.Ordinal) + 8)];
        foreach (var group in document.Groups)
        {
            Assert.Contains("<th colspan=\"2\">" + group.Name + "</th>", map, StringComparison.Ordinal);
        }

        Assert.Equal(document.Groups.Count, Regex.Matches(map, "<th>attn</th><th>MLP</th>").Count);
        Assert.Equal(document.Model.NumLayers * document.Groups.Count * 2, Regex.Matches(map, "<td class=\"[kpd]\" title=\"layer \\d+ ").Count);
        // image_rest is dropped before layer 0: never shown as running.
        Assert.DoesNotMatch("image_rest [a-zA-Z]+: runs", map);
    }
}
