using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Policy;
using DopCompiler.Search.Curves;
using DopCompiler.Search.Solving;

namespace DopCompiler.Search.Document;

/// <summary>Rebuilds the FLOPs pricing and curves of a policy document, so reports can re-solve without the model.</summary>
public static class PolicyPricing
{
    public static TextConfig TextConfigOf(PolicyModel model) => new()
    {
        HiddenSize = model.HiddenSize,
        IntermediateSize = model.IntermediateSize,
        NumLayers = model.NumLayers,
        NumHeads = model.NumHeads,
        NumKeyValueHeads = model.NumKeyValueHeads,
        HeadDim = model.HeadDim > 0 ? model.HeadDim : model.HiddenSize / model.NumHeads,
        VocabSize = 0,
        RmsNormEps = 0,
        RopeTheta = 0,
        TieWordEmbeddings = false,
        QkvBias = model.QkvBias,
    };

    public static PolicyCost FlopsCost(PolicyDocument document)
    {
        var groups = GroupDefinition.Of(document);
        var layout = new MeanLayout(groups, document.Groups.Select(g => g.MeanTokens).ToArray(), document.Groups.Select(g => g.MeanAlwaysKept).ToArray(),
            CovarianceOf(document));
        var convention = document.Flops.Convention == "paper" ? FlopsConvention.Paper : FlopsConvention.Gqa;
        return new PolicyCost(new FlopsCostModel(new FlopsModel(TextConfigOf(document.Model), convention)), layout, document.Model.NumLayers);
    }

    /// <summary>The document's layout covariance (null when absent: every sample priced at the mean layout).</summary>
    public static double[][]? CovarianceOf(PolicyDocument document) => document.LayoutCovariance?.Select(r => r.ToArray()).ToArray();

    /// <summary>
    /// The covariance as a document stores it, rounded as the mean counts are (6 decimals); absent when every sample has
    /// the same layout, so such files read as before.
    /// </summary>
    public static List<List<double>>? CovarianceForDocument(double[][]? covariance) =>
        covariance is null || covariance.All(r => r.All(v => Math.Abs(v) < 5e-7))
            ? null
            : covariance.Select(r => r.Select(v => Math.Round(v, 6)).ToList()).ToList();

    public static IReadOnlyList<DivergenceCurve> Curves(PolicyDocument document) =>
        document.Curves.Select(c => new DivergenceCurve(c.Module, c.Group, c.Kl.ToArray(), c.MeasuredDepths.ToArray())).ToArray();
}
