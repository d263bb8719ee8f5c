using DopCompiler.Model.Flops;
using DopCompiler.Model;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using static TorchSharp.torch;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Hashing;
using DopCompiler.Inputs.Images;

namespace DopCompiler.Runtime;

/// <summary>
/// Base of every class DopCompiler.Generator emits: the loaded checkpoint, image preprocessing, the typed entry
/// points (<see cref="Forward(string, IReadOnlyList{int})"/>, <see cref="Generate(string, IReadOnlyList{int}, int, int)"/>)
/// and the per-layout cache. The generated subclass supplies <see cref="RunLayers"/>: the policy unrolled, one
/// method per decoder layer with its kept groups as constants, so nothing is looked up at run time.
/// </summary>
/// <remarks>
/// Every decoder weight is loaded: the last prompt position runs every module in every layer (the method never
/// prunes it) and generated tokens run every module during decoding, so no module of a depth-wise policy is
/// ever unused. Calls on one instance are serialised; use one instance per thread for parallel inference.
/// </remarks>
public abstract class DopCompiledModel : IDisposable
{
    /// <summary>Distinct prompt layouts whose row selections are kept (a [CLS]-ranked split makes one per image).</summary>
    private const int MaxCachedLayouts = 16;

    private readonly object _gate = new();
    private readonly List<DopLayoutProgram> _programs = [];
    private ImagePreprocessor? _preprocessor;

    /// <summary>
    /// Loads <paramref name="modelDirectory"/> (config.json + safetensors, memory-mapped) and checks it fits <paramref name="shape"/>
    /// (DOP006) and is the model the policy was made from (<see cref="DopModelShape.ModelHash"/>, DOP010).
    /// </summary>
    protected DopCompiledModel(string modelDirectory, DopModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        DopBootstrap.EnsureNativeLoaded();
        Shape = shape;
        // precision auto: the machine's cached probe result, the same one `dop search`/`dop eval` used on this machine.
        PrecisionProbe.TryParse(Environment.GetEnvironmentVariable(PrecisionProbe.OverrideVariable), out var forced);
        Precision = PrecisionProbe.Resolve(forced).Precision;
        Model = LlavaModel.Load(modelDirectory, Precision);
        try
        {
            shape.Check(Model.Config, modelDirectory);
            DopModelIdentity.Verify(modelDirectory, shape.ModelHash, GetType().Name);
            if (shape.Groups.Count > 32)
            {
                throw new DopException(DiagnosticCodes.PolicyMismatch, $"{shape.Groups.Count} token groups; a generated class supports at most 32");
            }
        }
        catch
        {
            Model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The dtype of the weight products: bf16 where this machine's probe showed it clearly faster, else fp32
    /// (<see cref="PrecisionProbe"/>; <c>DOP_PRECISION=fp32|bf16</c> forces it).
    /// </summary>
    public ComputePrecision Precision { get; }

    /// <summary>The loaded checkpoint (reference forward, embeddings, decoding).</summary>
    public LlavaModel Model { get; }

    public DopModelShape Shape { get; }

    /// <summary>
    /// Logits [V] (fp32) at the last prompt position for an image file and a prompt holding one image token (or the
    /// expanded run of them). The caller disposes the result.
    /// </summary>
    public Tensor Forward(string imagePath, IReadOnlyList<int> promptTokenIds)
    {
        using var pixels = LoadPixels(imagePath);
        return Forward(pixels, promptTokenIds);
    }

    /// <summary>Logits [V] at the last prompt position for preprocessed pixels [3, H, W] (null for a text-only prompt).</summary>
    public Tensor Forward(Tensor? pixels, IReadOnlyList<int> promptTokenIds) => Run(pixels, promptTokenIds, cache: null, out _);

    /// <summary>
    /// The pruned prefill over prompt embeddings [T, d] laid out as <paramref name="segments"/>; logits [V] at the last
    /// position. <paramref name="clsAttention"/> ranks image tokens for a [CLS]-split policy (unused by a spread one); <paramref name="cache"/>
    /// (one per layer) receives each layer's kept keys/values for decoding; <paramref name="flops"/>, when given, counts the
    /// matrix-product FLOPs the pruned prefill executes.
    /// </summary>
    public Tensor Prefill(Tensor embeddings, PromptSegments segments, float[]? clsAttention = null, LayerKvCache[]? cache = null, ExecutedFlops? flops = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        using var noGrad = no_grad();
        var layout = TokenGroupLayout.ForLlava(segments, 1, clsAttention, Shape.ImageKeyFraction, imageRanking: Shape.ImageRanking);
        lock (_gate)
        {
            var program = ProgramFor(layout);
            using var sequence = new DopSequence(Model, program, embeddings, cache, flops);
            RunLayers(sequence);
            return sequence.LastLogits();
        }
    }

    /// <summary>
    /// Greedy decoding: the pruned prefill, then up to <paramref name="maxNewTokens"/> tokens from a per-layer KV
    /// cache (generated tokens run every module), stopping before <paramref name="eosTokenId"/>. Returns token ids;
    /// decoding them to text is the caller's tokenizer's job.
    /// </summary>
    public IReadOnlyList<int> Generate(string imagePath, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId = -1)
    {
        using var pixels = LoadPixels(imagePath);
        return Generate(pixels, promptTokenIds, maxNewTokens, eosTokenId);
    }

    /// <summary>Greedy decoding from preprocessed pixels [3, H, W] (null for a text-only prompt).</summary>
    public IReadOnlyList<int> Generate(Tensor? pixels, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        using var noGrad = no_grad();
        var cache = Model.NewCache();
        try
        {
            using var first = Run(pixels, promptTokenIds, cache, out var length);
            return GreedyDecoder.Continue(Model, first, length, cache, maxNewTokens, eosTokenId);
        }
        finally
        {
            foreach (var layer in cache)
            {
                layer.Dispose();
            }
        }
    }

    /// <summary>Decodes and preprocesses an image file as the checkpoint's <c>preprocessor_config.json</c> says: [3, H, W] fp32.</summary>
    public Tensor LoadPixels(string imagePath)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        try
        {
            _preprocessor ??= ImagePreprocessor.FromFile(Path.Combine(Model.Folder, "preprocessor_config.json"), Model.Config.Vision?.ImageSize);
            if (_preprocessor.IsAnyres || Model.Config.IsAnyres)
            {
                throw new DopException(DiagnosticCodes.ModelConfig,
                    $"generated classes read one tile per image; {Model.Folder} tiles images (anyres, model_type {Model.Config.ModelType}): issue 17 item 4",
                    Model.Folder);
            }

            var values = _preprocessor.ToPixelValues(imagePath);
            return tensor(values, [3L, _preprocessor.Height, _preprocessor.Width]);
        }
        catch (SpecException e)
        {
            throw new DopException(DiagnosticCodes.PromptLayout, e.Message, imagePath, inner: e);
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The policy, unrolled: the generated subclass calls <paramref name="sequence"/>'s steps layer by layer.</summary>
    protected abstract void RunLayers(DopSequence sequence);

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_gate)
        {
            _programs.ForEach(p => p.Dispose());
            _programs.Clear();
        }

        Model.Dispose();
    }

    private Tensor Run(Tensor? pixels, IReadOnlyList<int> promptTokenIds, LayerKvCache[]? cache, out int promptLength)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        float[]? cls = null;
        Tensor? features = null;
        if (pixels is not null)
        {
            (features, var clsAttention) = Model.EncodeImage(pixels);
            if (Shape.ImageKeyFraction is not null)
            {
                cls = clsAttention.ToHostFloats();
            }
        }

        var embeddings = Model.EmbedPrompt(promptTokenIds, features, out var segments);
        promptLength = segments.Length;
        return Prefill(embeddings, segments, cls, cache).MoveToOuterDisposeScope();
    }

    private DopLayoutProgram ProgramFor(TokenGroupLayout layout)
    {
        if (!layout.HasGroups(Shape.Groups))
        {
            throw new DopException(DiagnosticCodes.PolicyMismatch,
                $"the prompt's token groups ({string.Join(", ", layout.Groups.Select(g => g.Name))}) differ from the generated class's ({string.Join(", ", Shape.Groups)})");
        }

        var groupOf = layout.GroupOfPosition();

        foreach (var program in _programs)
        {
            if (program.GroupOfPosition.AsSpan().SequenceEqual(groupOf))
            {
                return program;
            }
        }

        var alwaysKept = layout.AlwaysKeptMask();

        if (_programs.Count == MaxCachedLayouts)
        {
            _programs[0].Dispose();
            _programs.RemoveAt(0);
        }

        var created = new DopLayoutProgram(groupOf, alwaysKept, Shape.NumLayers, Model.Device);
        _programs.Add(created);
        return created;
    }
}
