using DopCompiler.Model.Flops;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>One test question prepared once: image features embedded into the prompt, [CLS] scores, the raw pixels.</summary>
public sealed class TestItem : IDisposable
{
    public required ValidationSample Sample { get; init; }

    public required Tensor Pixels { get; init; }

    public required int[] Ids { get; init; }

    public required Tensor Embeddings { get; init; }

    public required PromptSegments Segments { get; init; }

    /// <summary>The vision encoder's [CLS] attention per image token.</summary>
    public required float[] Cls { get; init; }

    public int Last => Segments.Length - 1;

    /// <summary>FastV scores per image token, by the layer they were read at.</summary>
    public Dictionary<int, float[]> FastVScores { get; } = new();

    public void Dispose()
    {
        Pixels.Dispose();
        Embeddings.Dispose();
    }
}

/// <summary>
/// The token-dropping baselines expressed as operation masks over per-sample groups <c>system</c>, <c>image_keep</c>,
/// <c>image_drop</c>, <c>text</c>, so they run through the same interpreter (<see cref="PrunedForward"/>) as DOP:
/// <c>image_drop</c> has attention and MLP pruned from layer <c>dropFrom</c> on, which makes it dead work there, so its
/// rows leave the sequence at that layer (dropFrom = 0: dropped before the decoder).
/// </summary>
public static class BaselineMethods
{
    public static readonly string[] GroupNames = ["system", "image_keep", "image_drop", "text"];

    /// <summary>Layout with the given kept image positions (original ids); the last prompt position is always kept.</summary>
    public static TokenGroupLayout Layout(PromptSegments segments, IReadOnlyCollection<int> keptImage)
    {
        var keep = keptImage.Order().ToArray();
        var set = keep.ToHashSet();
        var drop = Enumerable.Range(segments.ImageStart, segments.ImageLength).Where(p => !set.Contains(p)).ToArray();
        return new TokenGroupLayout
        {
            Groups =
            [
                new TokenGroup("system", Enumerable.Range(0, segments.SystemLength).ToArray(), false),
                new TokenGroup("image_keep", keep, false),
                new TokenGroup("image_drop", drop, true),
                new TokenGroup("text", Enumerable.Range(segments.TextStart, segments.TextLength).ToArray(), false),
            ],
            Length = segments.Length,
            AlwaysKept = [segments.Length - 1],
        };
    }

    /// <summary>image_drop pruned (attention and MLP) in layers dropFrom..L−1.</summary>
    public static OperationMask Mask(int layers, int dropFrom)
    {
        var mask = OperationMask.KeepAll(GroupNames, layers);
        for (var l = dropFrom; l < layers; l++)
        {
            mask.SetAttention(l, 2, false);
            mask.SetMlp(l, 2, false);
        }

        return mask;
    }

    /// <summary>
    /// Mean-over-samples analytic FLOPs fraction (Σ pruned / Σ unpruned) of keeping <paramref name="keep"/> image
    /// tokens after layer <paramref name="dropFrom"/>; depends on counts only.
    /// </summary>
    public static double Fraction(FlopsModel flops, IReadOnlyList<PromptSegments> segments, int layers, int dropFrom, int keep)
    {
        var mask = Mask(layers, dropFrom);
        var all = OperationMask.KeepAll(GroupNames, layers);
        double pruned = 0, unpruned = 0;
        foreach (var group in segments.GroupBy(s => s))
        {
            var s = group.Key;
            var k = Math.Min(keep, s.ImageLength);
            double[] sizes = [s.SystemLength, k, s.ImageLength - k, s.TextLength];
            double[] always = [0, 0, 0, 1];
            pruned += group.Count() * flops.Prefill(mask, sizes, always).Total;
            unpruned += group.Count() * flops.Prefill(all, sizes, always).Total;
        }

        return pruned / unpruned;
    }

    /// <summary>The largest kept count whose fraction does not exceed <paramref name="target"/> (−1 when none does).</summary>
    public static (int Keep, double Fraction) Tune(FlopsModel flops, IReadOnlyList<PromptSegments> segments, int layers, int dropFrom, double target)
    {
        var image = segments.Max(s => s.ImageLength);
        for (var keep = image; keep >= 0; keep--)
        {
            var f = Fraction(flops, segments, layers, dropFrom, keep);
            if (f <= target + 1e-12)
            {
                return (keep, f);
            }
        }

        return (-1, double.NaN);
    }

    /// <summary>Top <paramref name="count"/> image positions by <paramref name="scores"/> (ties by position).</summary>
    public static int[] TopImage(PromptSegments segments, float[] scores, int count) =>
        Enumerable.Range(0, segments.ImageLength).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(count).Select(i => segments.ImageStart + i).ToArray();

    /// <summary>A fixed random order of the image tokens per sample (seeded), so smaller keeps are subsets of larger ones.</summary>
    public static int[] RandomImage(PromptSegments segments, int seed, int count)
    {
        var order = Enumerable.Range(0, segments.ImageLength).ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(count).Select(i => segments.ImageStart + i).ToArray();
    }

    /// <summary>
    /// FastV's ranking: attention each image token receives from the last prompt position at layer
    /// <paramref name="layer"/>, softmax over all keys, averaged over heads, computed from that layer's own q/k (RoPE at
    /// original positions) on the unpruned hidden state entering it.
    /// </summary>
    public static float[] FastVScores(LlavaModel model, TestItem item, int layer)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var text = model.Config.Text;
        var n = item.Segments.Length;
        Tensor h;
        if (layer == 0)
        {
            h = item.Embeddings;
        }
        else
        {
            var names = new[] { "all" };
            var layout = new TokenGroupLayout { Groups = [new TokenGroup("all", Enumerable.Range(0, n).ToArray(), false)], Length = n, AlwaysKept = [n - 1] };
            using var plan = ExecutionPlan.Build(OperationMask.KeepAll(names, text.NumLayers), layout, [n - 1], model.Rotary);
            h = PrunedForward.RunLayers(model, item.Embeddings, plan, 0, layer);
        }

        var weights = model.Layers[layer];
        var normed = DecoderBlocks.RmsNorm(h, weights.InputNorm!, text.RmsNormEps);
        var qkv = weights.QkvProj!.Apply(normed);
        var (cos, sin) = model.Rotary.Tables(arange(n, ScalarType.Int64));
        var q = qkv.narrow(0, n - 1, 1).narrow(1, 0, text.QueryWidth).view(1, text.NumHeads, text.HeadDim).transpose(0, 1); // [H, 1, d_h]
        q = RotaryEmbedding.Apply(q, cos.narrow(0, n - 1, 1), sin.narrow(0, n - 1, 1));
        var k = qkv.narrow(1, text.QueryWidth, text.KeyValueWidth).view(n, text.NumKeyValueHeads, text.HeadDim).transpose(0, 1); // [H_kv, n, d_h]
        k = RotaryEmbedding.Apply(k, cos, sin);
        var groups = text.NumHeads / text.NumKeyValueHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 0);
        }

        var scores = q.matmul(k.transpose(1, 2)).div_(Math.Sqrt(text.HeadDim)).softmax(-1); // [H, 1, n]
        var mean = scores.mean([0L, 1L]); // [n]
        var image = mean.narrow(0, item.Segments.ImageStart, item.Segments.ImageLength).contiguous();
        var result = image.data<float>().ToArray();
        if (layer > 0)
        {
            h.Dispose();
        }

        return result;
    }
}
