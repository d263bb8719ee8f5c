namespace ShapesVlm.Data;

/// <summary>Draws random scenes from a <see cref="SplitMix64"/> stream.</summary>
public static class SceneGenerator
{
    /// <summary>Fewest shapes in a scene.</summary>
    public const int MinShapes = 2;

    /// <summary>Most shapes in a scene.</summary>
    public const int MaxShapes = 6;

    /// <summary>Smallest shape size in pixels.</summary>
    public const int MinShapeSize = 22;

    /// <summary>Largest shape size in pixels.</summary>
    public const int MaxShapeSize = 28;

    // Shapes in neighbouring cells keep at least this many pixels between their boxes.
    private const int MinGap = 4;

    /// <summary>Makes one scene, consuming random numbers from <paramref name="rng"/>.</summary>
    public static Scene Next(SplitMix64 rng)
    {
        var background = new Rgb((byte)rng.NextInclusive(232, 255), (byte)rng.NextInclusive(232, 255), (byte)rng.NextInclusive(232, 255));
        int count = rng.NextInclusive(MinShapes, MaxShapes);

        var cells = Enumerable.Range(0, Scene.GridSize * Scene.GridSize).ToArray();
        rng.Shuffle(cells);
        var chosen = cells.Take(count).Order().ToArray();

        var shapes = new Shape[count];
        for (int i = 0; i < count; i++)
        {
            int row = chosen[i] / Scene.GridSize;
            int col = chosen[i] % Scene.GridSize;
            int size = rng.NextInclusive(MinShapeSize, MaxShapeSize);
            int jitter = (Scene.CellSize - MinGap - size) / 2;
            shapes[i] = new Shape
            {
                Kind = (ShapeKind)rng.NextInt(3),
                Color = (ShapeColor)rng.NextInt(Enum.GetValues<ShapeColor>().Length),
                Row = row,
                Col = col,
                Size = size,
                CenterX = (col * Scene.CellSize) + (Scene.CellSize / 2) + rng.NextInclusive(-jitter, jitter),
                CenterY = (row * Scene.CellSize) + (Scene.CellSize / 2) + rng.NextInclusive(-jitter, jitter),
            };
        }

        return new Scene { Background = background, Shapes = shapes };
    }
}
