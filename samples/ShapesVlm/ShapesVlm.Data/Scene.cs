namespace ShapesVlm.Data;

/// <summary>The kinds of shape a scene can hold.</summary>
public enum ShapeKind
{
    /// <summary>A filled circle.</summary>
    Circle,
    /// <summary>A filled axis-aligned square.</summary>
    Square,
    /// <summary>A filled triangle with its apex up.</summary>
    Triangle,
}

/// <summary>The colours a shape can have; chosen to stay distinct on a light background.</summary>
public enum ShapeColor
{
    /// <summary>Red.</summary>
    Red,
    /// <summary>Green.</summary>
    Green,
    /// <summary>Blue.</summary>
    Blue,
    /// <summary>Yellow.</summary>
    Yellow,
}

/// <summary>An RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B);

/// <summary>One shape: what it is, which grid cell it sits in, and where exactly it is drawn.</summary>
public sealed record Shape
{
    /// <summary>Circle, square or triangle.</summary>
    public required ShapeKind Kind { get; init; }

    /// <summary>Fill colour.</summary>
    public required ShapeColor Color { get; init; }

    /// <summary>Grid row, 0 at the top.</summary>
    public required int Row { get; init; }

    /// <summary>Grid column, 0 at the left; "left of" compares columns.</summary>
    public required int Col { get; init; }

    /// <summary>Side of the shape's bounding box in pixels.</summary>
    public required int Size { get; init; }

    /// <summary>Centre x in pixels.</summary>
    public required int CenterX { get; init; }

    /// <summary>Centre y in pixels.</summary>
    public required int CenterY { get; init; }
}

/// <summary>A generated scene: a light background and 2–6 shapes in distinct cells of a 6×6 grid.</summary>
public sealed record Scene
{
    /// <summary>Image width and height in pixels.</summary>
    public const int ImageSize = 192;

    /// <summary>
    /// Rows and columns of the placement grid. Six 32-px cells a side, so that a cell is exactly 2×2 vision patches
    /// and each patch holds one quadrant of one shape: every image token can tell kind and colour from its own pixels.
    /// (A 4×4 grid of 48-px cells, 3×3 patches a cell, trained far too slowly from scratch on 2 CPU cores: most patches
    /// of a shape's cell showed only background or a flat colour, so their content had to be inferred from neighbours.)
    /// </summary>
    public const int GridSize = 6;

    /// <summary>Side of one grid cell in pixels.</summary>
    public const int CellSize = ImageSize / GridSize;

    /// <summary>Background colour.</summary>
    public required Rgb Background { get; init; }

    /// <summary>The shapes, sorted by row then column.</summary>
    public required IReadOnlyList<Shape> Shapes { get; init; }

    /// <summary>True when the scene holds the same values as <paramref name="other"/> (records compare lists by reference).</summary>
    public bool SameAs(Scene other) => Background == other.Background && Shapes.SequenceEqual(other.Shapes);
}
