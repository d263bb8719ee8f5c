namespace ShapesVlm.Data;

/// <summary>Asks a question of a given family about a scene, or says the scene cannot answer it unambiguously.</summary>
public static class QuestionGenerator
{
    /// <summary>
    /// A question of <paramref name="type"/> about <paramref name="scene"/>, or null when none is unambiguous there.
    /// <paramref name="existsAnswer"/> picks the answer of an <see cref="QuestionType.Exists"/> question.
    /// </summary>
    public static Question? TryAsk(Scene scene, QuestionType type, bool existsAnswer, SplitMix64 rng) => type switch
    {
        QuestionType.ColorOf => TryColorOf(scene, rng),
        QuestionType.CountOf => CountOf(scene, rng),
        QuestionType.LeftOf => TryLeftOf(scene, rng),
        QuestionType.Exists => Exists(scene, existsAnswer, rng),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The shape in the nearest occupied cell left of <paramref name="anchor"/> in its row, if any.</summary>
    public static Shape? NearestLeft(Scene scene, Shape anchor) =>
        scene.Shapes.Where(s => s.Row == anchor.Row && s.Col < anchor.Col).MaxBy(s => s.Col);

    private static Question? TryColorOf(Scene scene, SplitMix64 rng)
    {
        var unique = scene.Shapes.GroupBy(s => s.Kind).Where(g => g.Count() == 1).Select(g => g.Single()).OrderBy(s => s.Kind).ToArray();
        if (unique.Length == 0)
        {
            return null;
        }

        var shape = rng.Pick(unique);
        return new Question { Type = QuestionType.ColorOf, Text = QuestionText.ColorOf(shape.Kind), Answer = TaskWords.Name(shape.Color) };
    }

    private static Question CountOf(Scene scene, SplitMix64 rng)
    {
        var kind = (ShapeKind)rng.NextInt(Enum.GetValues<ShapeKind>().Length);
        int count = scene.Shapes.Count(s => s.Kind == kind);
        return new Question { Type = QuestionType.CountOf, Text = QuestionText.CountOf(kind), Answer = TaskWords.Numbers[count] };
    }

    private static Question? TryLeftOf(Scene scene, SplitMix64 rng)
    {
        var anchors = scene.Shapes
            .Where(a => scene.Shapes.Count(s => s.Color == a.Color) == 1 && NearestLeft(scene, a) is not null)
            .ToArray();
        if (anchors.Length == 0)
        {
            return null;
        }

        var anchor = rng.Pick(anchors);
        var left = NearestLeft(scene, anchor)!;
        return new Question { Type = QuestionType.LeftOf, Text = QuestionText.LeftOf(anchor.Color), Answer = TaskWords.Name(left.Kind) };
    }

    private static Question Exists(Scene scene, bool answer, SplitMix64 rng)
    {
        if (answer)
        {
            var shape = rng.Pick(scene.Shapes);
            return new Question { Type = QuestionType.Exists, Text = QuestionText.Exists(shape.Color, shape.Kind), Answer = TaskWords.Yes };
        }

        // Absent pairs whose colour or kind is present make the model bind colour to shape, not just spot one.
        var absent = (from c in Enum.GetValues<ShapeColor>()
                      from k in Enum.GetValues<ShapeKind>()
                      where !scene.Shapes.Any(s => s.Color == c && s.Kind == k)
                      select (Color: c, Kind: k)).ToArray();
        var nearMiss = absent.Where(p => scene.Shapes.Any(s => s.Color == p.Color || s.Kind == p.Kind)).ToArray();
        var pick = rng.Pick(nearMiss.Length > 0 ? nearMiss : absent);
        return new Question { Type = QuestionType.Exists, Text = QuestionText.Exists(pick.Color, pick.Kind), Answer = TaskWords.No };
    }
}
