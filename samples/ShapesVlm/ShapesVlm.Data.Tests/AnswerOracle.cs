using System.Text.RegularExpressions;

namespace ShapesVlm.Data.Tests;

/// <summary>Answers a question from the scene alone, written independently of QuestionGenerator, from the question text.</summary>
internal static partial class AnswerOracle
{
    private static readonly string[] Numbers = ["zero", "one", "two", "three", "four", "five", "six"];

    public static string Answer(Scene scene, string question)
    {
        var shapes = scene.Shapes;
        Match m;
        if ((m = ColorOfRegex().Match(question)).Success)
        {
            var matches = shapes.Where(s => KindName(s.Kind) == m.Groups[1].Value).ToArray();
            Assert.Single(matches);
            return ColorName(matches[0].Color);
        }

        if ((m = CountOfRegex().Match(question)).Success)
        {
            return Numbers[shapes.Count(s => KindName(s.Kind) + "s" == m.Groups[1].Value)];
        }

        if ((m = LeftOfRegex().Match(question)).Success)
        {
            var anchors = shapes.Where(s => ColorName(s.Color) == m.Groups[1].Value).ToArray();
            Assert.Single(anchors);
            var anchor = anchors[0];
            var neighbours = shapes.Where(s => s.Row == anchor.Row && s.Col + 1 == anchor.Col).ToArray();
            Assert.Single(neighbours);
            return KindName(neighbours[0].Kind);
        }

        if ((m = ExistsRegex().Match(question)).Success)
        {
            return shapes.Any(s => ColorName(s.Color) == m.Groups[1].Value && KindName(s.Kind) == m.Groups[2].Value) ? "yes" : "no";
        }

        throw new InvalidOperationException("Unrecognised question: " + question);
    }

    private static string KindName(ShapeKind k) => k.ToString().ToLowerInvariant();

    private static string ColorName(ShapeColor c) => c.ToString().ToLowerInvariant();

    [GeneratedRegex("^what colour is the (circle|square|triangle)\\?$")]
    private static partial Regex ColorOfRegex();

    [GeneratedRegex("^how many (circles|squares|triangles) are there\\?$")]
    private static partial Regex CountOfRegex();

    [GeneratedRegex("^what shape is directly left of the (red|green|blue|yellow) one\\?$")]
    private static partial Regex LeftOfRegex();

    [GeneratedRegex("^is there a (red|green|blue|yellow) (circle|square|triangle)\\?$")]
    private static partial Regex ExistsRegex();
}
