namespace DopCompiler.Model.Pruning;

/// <summary>
/// Which operations run: for every (layer, group) whether attention and MLP are kept. The general form the
/// interpreter executes; a <see cref="DepthPolicy"/> is one compact way to describe it.
/// </summary>
public sealed class OperationMask
{
    private readonly bool[,] _attention;
    private readonly bool[,] _mlp;

    public OperationMask(IReadOnlyList<string> groups, int layers)
    {
        Groups = groups;
        Layers = layers;
        _attention = new bool[layers, groups.Count];
        _mlp = new bool[layers, groups.Count];
        for (var l = 0; l < layers; l++)
        {
            for (var g = 0; g < groups.Count; g++)
            {
                _attention[l, g] = true;
                _mlp[l, g] = true;
            }
        }
    }

    public IReadOnlyList<string> Groups { get; }

    public int Layers { get; }

    public bool AttentionKept(int layer, int group) => _attention[layer, group];

    public bool MlpKept(int layer, int group) => _mlp[layer, group];

    public void SetAttention(int layer, int group, bool kept) => _attention[layer, group] = kept;

    public void SetMlp(int layer, int group, bool kept) => _mlp[layer, group] = kept;

    /// <summary>
    /// First layer from which the group is never read again: its keys/values are pruned in that layer and every
    /// later one, so its queries, MLP and hidden state cannot affect any output (dead work). <see cref="Layers"/>
    /// when it stays alive to the end.
    /// </summary>
    public int DeadFrom(int group)
    {
        var layer = Layers;
        while (layer > 0 && !_attention[layer - 1, group])
        {
            layer--;
        }

        return layer;
    }

    /// <summary>The unpruned mask.</summary>
    public static OperationMask KeepAll(IReadOnlyList<string> groups, int layers) => new(groups, layers);
}
