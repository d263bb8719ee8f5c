using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;

namespace DopCompiler.Model.Tests;

public sealed class ImageTokenOrderTests
{
    [Theory]
    [InlineData(144)]
    [InlineData(16)]
    [InlineData(10)] // not a square: ordered as a line
    public void SpreadIsAPermutation(int count)
    {
        Assert.Equal(Enumerable.Range(0, count), ImageTokenOrder.Spread(count).Order());
    }

    [Fact]
    public void SpreadTakesCoarseLatticesFirst()
    {
        var order = ImageTokenOrder.Spread(144); // 12×12
        // The first 9 are the stride-4 lattice, the first 36 the stride-2 lattice: one patch per 2×2 block.
        Assert.All(order.Take(9), i => Assert.True(i / 12 % 4 == 0 && i % 12 % 4 == 0, $"token {i}"));
        Assert.All(order.Take(36), i => Assert.True(i / 12 % 2 == 0 && i % 12 % 2 == 0, $"token {i}"));
        Assert.Equal([0, 8, 96, 104], order.Take(4).Order());
    }

    [Fact]
    public void SpreadCoversEveryQuadrantWithFewTokens()
    {
        // Four tokens of a 4×4 grid: one in each 2×2 quadrant, where the [CLS] order may cluster them.
        Assert.Equal([0, 2, 8, 10], ImageTokenOrder.Spread(16).Take(4).Order());
    }

    [Fact]
    public void ClsOrderIsByScoreThenPosition()
    {
        Assert.Equal([2, 0, 1, 3], ImageTokenOrder.ByClsAttention([0.3f, 0.1f, 0.5f, 0.1f]));
    }

    [Fact]
    public void LayoutSplitFollowsTheRanking()
    {
        var segments = new PromptSegments(2, 16, 3);
        var cls = Enumerable.Range(0, 16).Select(i => (float)i).ToArray(); // the last tokens are the most attended
        var byCls = TokenGroupLayout.ForLlava(segments, 1, cls, 0.25);
        var spread = TokenGroupLayout.ForLlava(segments, 1, cls, 0.25, imageRanking: ImageTokenOrder.SpreadWord);
        Assert.Equal([14, 15, 16, 17], byCls.Groups[byCls.IndexOf("image_key")].Positions);
        Assert.Equal([2, 4, 10, 12], spread.Groups[spread.IndexOf("image_key")].Positions);
        Assert.Equal(12, spread.Groups[spread.IndexOf("image_rest")].Positions.Length);
    }

    [Fact]
    public void ClsSplitWithoutScoresIsAPromptLayoutError()
    {
        var e = Assert.Throws<DopException>(() => TokenGroupLayout.ForLlava(new PromptSegments(2, 16, 3), 1, null, 0.25));
        Assert.Equal(DiagnosticCodes.PromptLayout, e.Code);
    }
}
