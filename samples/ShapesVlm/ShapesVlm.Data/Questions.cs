namespace ShapesVlm.Data;

/// <summary>The question families; every answer is one word read off the image.</summary>
public enum QuestionType
{
    /// <summary>"what colour is the circle?" — asked only when that kind occurs once.</summary>
    ColorOf,
    /// <summary>"how many squares are there?" — answered with a number word.</summary>
    CountOf,
    /// <summary>"what shape is directly left of the red one?" — the nearest occupied cell to the left in the same row.</summary>
    LeftOf,
    /// <summary>"is there a blue triangle?" — yes or no, balanced.</summary>
    Exists,
}

/// <summary>A question about one scene and its answer.</summary>
public sealed record Question
{
    /// <summary>The family.</summary>
    public required QuestionType Type { get; init; }

    /// <summary>The question text, lower case, ending in '?'.</summary>
    public required string Text { get; init; }

    /// <summary>The answer word.</summary>
    public required string Answer { get; init; }
}

/// <summary>The words the task uses; the tokenizer is trained on exactly these.</summary>
public static class TaskWords
{
    /// <summary>Number words for counts 0…<see cref="SceneGenerator.MaxShapes"/>.</summary>
    public static readonly IReadOnlyList<string> Numbers = ["zero", "one", "two", "three", "four", "five", "six"];

    /// <summary>Answer to a yes/no question.</summary>
    public const string Yes = "yes";

    /// <summary>Answer to a yes/no question.</summary>
    public const string No = "no";

    /// <summary>Lower-case name of a kind ("circle").</summary>
    public static string Name(ShapeKind kind) => kind switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Lower-case plural of a kind ("circles").</summary>
    public static string Plural(ShapeKind kind) => Name(kind) + "s";

    /// <summary>Lower-case name of a colour ("red").</summary>
    public static string Name(ShapeColor color) => color switch
    {
        ShapeColor.Red => "red",
        ShapeColor.Green => "green",
        ShapeColor.Blue => "blue",
        ShapeColor.Yellow => "yellow",
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, null),
    };

    /// <summary>Every question text the task can ask, in a fixed order.</summary>
    public static IEnumerable<string> AllQuestions()
    {
        foreach (var kind in Enum.GetValues<ShapeKind>())
        {
            yield return QuestionText.ColorOf(kind);
            yield return QuestionText.CountOf(kind);
        }

        foreach (var color in Enum.GetValues<ShapeColor>())
        {
            yield return QuestionText.LeftOf(color);
            foreach (var kind in Enum.GetValues<ShapeKind>())
            {
                yield return QuestionText.Exists(color, kind);
            }
        }
    }

    /// <summary>Every answer the task can give, in a fixed order.</summary>
    public static IEnumerable<string> AllAnswers() =>
        Enum.GetValues<ShapeColor>().Select(Name)
            .Concat(Enum.GetValues<ShapeKind>().Select(Name))
            .Concat(Numbers)
            .Append(Yes)
            .Append(No);
}

/// <summary>The exact wording of each question family.</summary>
public static class QuestionText
{
    /// <summary>"what colour is the circle?"</summary>
    public static string ColorOf(ShapeKind kind) => $"what colour is the {TaskWords.Name(kind)}?";

    /// <summary>"how many circles are there?"</summary>
    public static string CountOf(ShapeKind kind) => $"how many {TaskWords.Plural(kind)} are there?";

    /// <summary>"what shape is directly left of the red one?"</summary>
    public static string LeftOf(ShapeColor color) => $"what shape is directly left of the {TaskWords.Name(color)} one?";

    /// <summary>"is there a red circle?"</summary>
    public static string Exists(ShapeColor color, ShapeKind kind) => $"is there a {TaskWords.Name(color)} {TaskWords.Name(kind)}?";
}
