using System.Text.RegularExpressions;
using DopCompiler.TestFixtures;
using static TorchSharp.torch;

namespace DopCompiler.Model.Tests.Reference;

/// <summary>
/// LlavaForConditionalGeneration in plain float64 loops, written from the transformers source (modeling_llava.py,
/// modeling_clip.py, modeling_siglip.py, modeling_llama.py, modeling_qwen2.py) for the parity tests. It shares no code with
/// DopCompiler.Model's forward path: weights come from the fixture's in-memory tensors by their checkpoint names, every
/// operation is a loop over doubles, and nothing is fused, cached or batched.
/// </summary>
public sealed class Float64Llava
{
    private readonly Dictionary<string, (double[] Data, long[] Shape)> _w = new(StringComparer.Ordinal);
    private readonly TinyLlavaOptions _o;
    private readonly ReferenceAblation _ablation;
    private readonly string _lm, _lmHead, _vt, _proj;

    /// <summary><paramref name="tensors"/>: the checkpoint's tensors as the model will read them (already rounded to the stored dtype).</summary>
    public Float64Llava(IReadOnlyDictionary<string, Tensor> tensors, TinyLlavaOptions options, ReferenceAblation? ablation = null)
    {
        _o = options;
        _ablation = ablation ?? ReferenceAblation.None;
        foreach (var (name, t) in tensors)
        {
            using var asDouble = t.to_type(ScalarType.Float64).contiguous();
            var data = asDouble.data<double>().ToArray();
            if (_ablation.Zeroed is { } pattern && Regex.IsMatch(name, pattern))
            {
                Array.Clear(data);
            }

            _w[name] = (data, t.shape);
        }

        (_lm, _lmHead, _vt, _proj) = options.Naming == "new"
            ? ("model.language_model.", "lm_head.weight", "model.vision_tower.vision_model.", "model.multi_modal_projector.")
            : ("language_model.model.", "language_model.lm_head.weight", "vision_tower.vision_model.", "multi_modal_projector.");
    }

    /// <summary>Projected image features, one row per image token, for pixels [3, H, W] (CHW, already preprocessed).</summary>
    public double[][] ImageFeatures(double[] pixels)
    {
        var o = _o;
        var d = o.VisionHidden;
        var grid = o.ImageSize / o.PatchSize;
        var p = o.PatchSize;
        // Patch embedding: Conv2d(3, D, kernel p, stride p), CLIP without bias, SigLIP with.
        var conv = W(_vt + "embeddings.patch_embedding.weight");
        var convBias = o.Siglip ? W(_vt + "embeddings.patch_embedding.bias") : new double[d];
        var rows = new List<double[]>();
        if (!o.Siglip)
        {
            rows.Add((double[])W(_vt + "embeddings.class_embedding").Clone());
        }

        for (var gy = 0; gy < grid; gy++)
        {
            for (var gx = 0; gx < grid; gx++)
            {
                var row = new double[d];
                for (var c = 0; c < d; c++)
                {
                    var sum = convBias[c];
                    for (var ch = 0; ch < 3; ch++)
                    {
                        for (var ky = 0; ky < p; ky++)
                        {
                            for (var kx = 0; kx < p; kx++)
                            {
                                var pixel = pixels[(ch * o.ImageSize * o.ImageSize) + (((gy * p) + ky) * o.ImageSize) + (gx * p) + kx];
                                sum += pixel * conv[(((c * 3) + ch) * p * p) + (ky * p) + kx];
                            }
                        }
                    }

                    row[c] = sum;
                }

                rows.Add(row);
            }
        }

        var h = rows.ToArray();
        if (!_ablation.NoPositionEmbeddings)
        {
            var positions = W(_vt + "embeddings.position_embedding.weight");
            for (var i = 0; i < h.Length; i++)
            {
                for (var c = 0; c < d; c++)
                {
                    h[i][c] += positions[(i * d) + c];
                }
            }
        }

        var eps = o.Siglip ? 1e-6 : 1e-5;
        if (!o.Siglip)
        {
            h = LayerNorm(h, _vt + "pre_layrnorm", eps);
        }

        // hidden_states[0] is the embeddings, hidden_states[i] the output of encoder layer i.
        var states = new List<double[][]> { h };
        for (var layer = 0; layer < o.VisionLayers; layer++)
        {
            h = VisionLayer(h, $"{_vt}encoder.layers.{layer}.", eps);
            states.Add(h);
        }

        var index = o.VisionFeatureLayer < 0 ? states.Count + o.VisionFeatureLayer : o.VisionFeatureLayer;
        var selected = states[index + _ablation.FeatureLayerShift];
        if (_ablation.PostLayerNorm)
        {
            selected = LayerNorm(selected, _vt + "post_layernorm", eps);
        }

        if (o.FeatureStrategy == "default")
        {
            selected = selected.Skip(1).ToArray();
        }

        // LlavaMultiModalProjector: linear_1, GELU (erf), linear_2.
        var hidden = Linear(selected, _proj + "linear_1");
        hidden = Map(hidden, GeluErf);
        return Linear(hidden, _proj + "linear_2");
    }

    /// <summary>Logits at the last prompt position; the prompt holds one image token, expanded to the image's features.</summary>
    public double[] LastLogits(IReadOnlyList<int> ids, double[] pixels) => Forward(Embed(ids, ImageFeatures(pixels)));

    /// <summary>Greedy tokens: every step reruns the whole sequence (no cache), as a plain check of cached decoding.</summary>
    public int[] Greedy(IReadOnlyList<int> ids, double[] pixels, int count)
    {
        var sequence = Embed(ids, ImageFeatures(pixels)).ToList();
        var tokens = new List<int>();
        var embed = W(_lm + "embed_tokens.weight");
        for (var step = 0; step < count; step++)
        {
            var logits = Forward(sequence.ToArray());
            var next = Enumerable.Range(0, logits.Length).MaxBy(i => logits[i]);
            tokens.Add(next);
            sequence.Add(embed.AsSpan(next * _o.Hidden, _o.Hidden).ToArray());
        }

        return tokens.ToArray();
    }

    /// <summary>Logits at the last prompt position for given image rows (the one image token expands to them).</summary>
    public double[] LastLogitsOf(IReadOnlyList<int> ids, double[][] imageRows) => Forward(Embed(ids, imageRows));

    /// <summary><see cref="Greedy"/> for given image rows.</summary>
    public int[] GreedyOf(IReadOnlyList<int> ids, double[][] imageRows, int count)
    {
        var sequence = Embed(ids, imageRows).ToList();
        var tokens = new List<int>();
        var embed = W(_lm + "embed_tokens.weight");
        for (var step = 0; step < count; step++)
        {
            var logits = Forward(sequence.ToArray());
            var next = Enumerable.Range(0, logits.Length).MaxBy(i => logits[i]);
            tokens.Add(next);
            sequence.Add(embed.AsSpan(next * _o.Hidden, _o.Hidden).ToArray());
        }

        return tokens.ToArray();
    }

    /// <summary>A stored tensor as doubles (e.g. LLaVA-NeXT's image_newline).</summary>
    public double[] Weight(string name) => W(name);

    private double[][] Embed(IReadOnlyList<int> ids, double[][] image)
    {
        var embed = W(_lm + "embed_tokens.weight");
        var rows = new List<double[]>();
        foreach (var id in ids)
        {
            if (id == _o.ImageTokenIndex)
            {
                rows.AddRange(image);
            }
            else
            {
                rows.Add(embed.AsSpan(id * _o.Hidden, _o.Hidden).ToArray());
            }
        }

        return rows.ToArray();
    }

    private double[] Forward(double[][] x)
    {
        var o = _o;
        var eps = o.Qwen ? 1e-6 : 1e-5;
        var headDim = o.Hidden / o.Heads;
        var h = x.Select(r => (double[])r.Clone()).ToArray();
        for (var layer = 0; layer < o.Layers; layer++)
        {
            var p = $"{_lm}layers.{layer}.";
            var normed = RmsNorm(h, p + "input_layernorm.weight", eps);
            // Qwen2Attention: q/k/v_proj with bias, o_proj without; LlamaAttention: no bias anywhere.
            var q = Linear(normed, p + "self_attn.q_proj", bias: o.Qwen);
            var k = Linear(normed, p + "self_attn.k_proj", bias: o.Qwen);
            var v = Linear(normed, p + "self_attn.v_proj", bias: o.Qwen);
            Rope(q, o.Heads, headDim);
            Rope(k, o.KeyValueHeads, headDim);
            var attended = new double[h.Length][];
            var groups = o.Heads / o.KeyValueHeads;
            for (var i = 0; i < h.Length; i++)
            {
                attended[i] = new double[o.Heads * headDim];
                for (var head = 0; head < o.Heads; head++)
                {
                    var kv = head / groups; // repeat_kv: query head h reads KV head h / groups
                    var scores = new double[i + 1];
                    for (var j = 0; j <= i; j++)
                    {
                        double dot = 0;
                        for (var e = 0; e < headDim; e++)
                        {
                            dot += q[i][(head * headDim) + e] * k[j][(kv * headDim) + e];
                        }

                        scores[j] = dot / Math.Sqrt(headDim);
                    }

                    var weights = Softmax(scores);
                    for (var j = 0; j <= i; j++)
                    {
                        for (var e = 0; e < headDim; e++)
                        {
                            attended[i][(head * headDim) + e] += weights[j] * v[j][(kv * headDim) + e];
                        }
                    }
                }
            }

            h = Add(h, Linear(attended, p + "self_attn.o_proj", bias: false));
            var post = RmsNorm(h, p + "post_attention_layernorm.weight", eps);
            var gate = Map(Linear(post, p + "mlp.gate_proj", bias: false), a => a / (1 + Math.Exp(-a)));
            var up = Linear(post, p + "mlp.up_proj", bias: false);
            var product = gate.Select((g, i) => g.Zip(up[i], (a, b) => a * b).ToArray()).ToArray();
            h = Add(h, Linear(product, p + "mlp.down_proj", bias: false));
        }

        var last = RmsNorm([h[^1]], _lm + "norm.weight", eps)[0];
        var lmHead = o.TieWordEmbeddings ? W(_lm + "embed_tokens.weight") : W(_lmHead);
        var logits = new double[o.Vocab];
        for (var t = 0; t < o.Vocab; t++)
        {
            double sum = 0;
            for (var c = 0; c < o.Hidden; c++)
            {
                sum += last[c] * lmHead[(t * o.Hidden) + c];
            }

            logits[t] = sum;
        }

        return logits;
    }

    private double[][] VisionLayer(double[][] h, string p, double eps)
    {
        var d = _o.VisionHidden;
        var heads = _o.VisionHeads;
        var dh = d / heads;
        var x = LayerNorm(h, p + "layer_norm1", eps);
        var q = Linear(x, p + "self_attn.q_proj");
        var k = Linear(x, p + "self_attn.k_proj");
        var v = Linear(x, p + "self_attn.v_proj");
        var attended = new double[h.Length][];
        for (var i = 0; i < h.Length; i++)
        {
            attended[i] = new double[d];
            for (var head = 0; head < heads; head++)
            {
                var scores = new double[h.Length];
                for (var j = 0; j < h.Length; j++)
                {
                    double dot = 0;
                    for (var e = 0; e < dh; e++)
                    {
                        dot += q[i][(head * dh) + e] * k[j][(head * dh) + e];
                    }

                    scores[j] = dot / Math.Sqrt(dh);
                }

                var weights = Softmax(scores);
                for (var j = 0; j < h.Length; j++)
                {
                    for (var e = 0; e < dh; e++)
                    {
                        attended[i][(head * dh) + e] += weights[j] * v[j][(head * dh) + e];
                    }
                }
            }
        }

        h = Add(h, Linear(attended, p + "self_attn.out_proj"));
        var y = Linear(LayerNorm(h, p + "layer_norm2", eps), p + "mlp.fc1");
        Func<double, double> act = _o.Siglip
            ? _ablation.ErfInsteadOfTanhGelu ? GeluErf : GeluTanh
            : a => a / (1 + Math.Exp(-1.702 * a));
        return Add(h, Linear(Map(y, act), p + "mlp.fc2"));
    }

    /// <summary>transformers' rotate_half RoPE with inv_freq = 1 / θ^(2i/d_h), at positions 0..n-1.</summary>
    private void Rope(double[][] x, int heads, int headDim)
    {
        var half = headDim / 2;
        for (var pos = 0; pos < x.Length; pos++)
        {
            for (var head = 0; head < heads; head++)
            {
                var offset = head * headDim;
                var rotated = new double[headDim];
                for (var e = 0; e < headDim; e++)
                {
                    var angle = pos / Math.Pow(_o.RopeTheta, 2.0 * (e % half) / headDim);
                    var partner = e < half ? -x[pos][offset + e + half] : x[pos][offset + e - half];
                    rotated[e] = (x[pos][offset + e] * Math.Cos(angle)) + (partner * Math.Sin(angle));
                }

                Array.Copy(rotated, 0, x[pos], offset, headDim);
            }
        }
    }

    private double[] W(string name) => _w.TryGetValue(name, out var t) ? t.Data : throw new KeyNotFoundException(name);

    private double[][] Linear(double[][] x, string prefix, bool bias = true)
    {
        var (weight, shape) = _w[prefix + ".weight"];
        var outF = (int)shape[0];
        var inF = (int)shape[1];
        var b = bias ? W(prefix + ".bias") : new double[outF];
        return x.Select(row =>
        {
            var y = new double[outF];
            for (var o = 0; o < outF; o++)
            {
                var sum = b[o];
                for (var i = 0; i < inF; i++)
                {
                    sum += row[i] * weight[(o * inF) + i];
                }

                y[o] = sum;
            }

            return y;
        }).ToArray();
    }

    private double[][] LayerNorm(double[][] x, string prefix, double eps)
    {
        var weight = W(prefix + ".weight");
        var bias = W(prefix + ".bias");
        return x.Select(row =>
        {
            var mean = row.Average();
            var variance = row.Select(a => (a - mean) * (a - mean)).Average();
            return row.Select((a, i) => ((a - mean) / Math.Sqrt(variance + eps) * weight[i]) + bias[i]).ToArray();
        }).ToArray();
    }

    private double[][] RmsNorm(double[][] x, string name, double eps)
    {
        var weight = W(name);
        return x.Select(row =>
        {
            var scale = 1 / Math.Sqrt(row.Select(a => a * a).Average() + eps);
            return row.Select((a, i) => a * scale * weight[i]).ToArray();
        }).ToArray();
    }

    private static double[] Softmax(double[] scores)
    {
        var max = scores.Max();
        var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(e => e / sum).ToArray();
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((row, i) => row.Zip(b[i], (x, y) => x + y).ToArray()).ToArray();

    private static double[][] Map(double[][] x, Func<double, double> f) => x.Select(row => row.Select(f).ToArray()).ToArray();

    /// <summary>gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))));

    /// <summary>Exact GELU, x·Φ(x), with erf from its Maclaurin series (|x| small) or continued fraction (large): ~1e-15.</summary>
    private static double GeluErf(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    private static double Erf(double x)
    {
        if (Math.Abs(x) < 2.5)
        {
            // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double sum = 0, term = x;
            for (var n = 0; n < 80; n++)
            {
                sum += term / ((2 * n) + 1);
                term *= -x * x / (n + 1);
            }

            return 2 / Math.Sqrt(Math.PI) * sum;
        }

        // erfc x = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) for x > 0.
        var ax = Math.Abs(x);
        double fraction = ax;
        for (var k = 60; k >= 1; k--)
        {
            fraction = ax + (k / 2.0 / fraction);
        }

        var erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / fraction;
        return Math.Sign(x) * (1 - erfc);
    }
}
