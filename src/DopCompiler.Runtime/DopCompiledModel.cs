using DopCompiler.Model.Flops;
using DopCompiler.Model;
using DopCompiler.Model.Modules;
using DopCompiler.Model.Pruning;
using DopCompiler.Model.Tensors;
using DopCompiler.Model.Text;
using static TorchSharp.torch;
using DopCompiler.Inputs.Diagnostics;
using DopCompiler.Inputs.Hashing;
using DopCompiler.Inputs.Images;

namespace DopCompiler.Runtime;

/// <summary>
/// Base of every class DopCompiler.Generator emits: the loaded checkpoint, image preprocessing, the typed entry
/// points (<see cref="Forward(string, IReadOnlyList{int})"/>, <see cref="Generate(string, IReadOnlyList{int}, int, int)"/>)
/// and the per-layout cache. The generated subclass supplies <see cref="RunLayers(DopSequence)"/>: the policy unrolled, one
/// method per decoder layer with its kept groups as constants, so nothing is looked up at run time.
/// </summary>
/// <remarks>
/// Every decoder weight is loaded: the last prompt position runs every module in every layer (the method never
/// prunes it) and generated tokens run every module during decoding, so no module of a depth-wise policy is
/// ever unused. Calls on one instance are serialised; use one instance per thread for parallel inference.
/// </remarks>
public abstract class DopCompiledModel : IDisposable
{
    /// <summary>The most tokens <see cref="Answer(string, string, int)"/> generates unless told otherwise.</summary>
    public const int DefaultAnswerTokens = 64;

    /// <summary>Distinct (variant, prompt layout) pairs whose row selections are kept (a [CLS]-ranked split makes one per image).</summary>
    private const int MaxCachedLayouts = 16;

    private readonly object _gate = new();
    private readonly List<DopLayoutProgram> _programs = [];
    private ImagePreprocessor? _preprocessor;
    private ModelTokenizer? _tokenizer;

    /// <summary>
    /// Loads <paramref name="modelDirectory"/> (config.json + safetensors, memory-mapped) and checks it fits <paramref name="shape"/>
    /// (DOP006) and is the model the policy was made from (<see cref="DopModelShape.ModelHash"/>, DOP010).
    /// </summary>
    protected DopCompiledModel(string modelDirectory, DopModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        DopBootstrap.EnsureNativeLoaded();
        Shape = shape;
        // DOP_PRECISION in this process first (an operator's choice on this machine), then the spec's forced precision
        // (the policy's), then for auto the machine's cached probe result, the same one `dop search`/`dop eval` used here.
        PrecisionProbe.TryParse(Environment.GetEnvironmentVariable(PrecisionProbe.OverrideVariable), out var forced);
        if (forced is null && !PrecisionProbe.TryParse(shape.Precision, out forced))
        {
            throw new DopException(DiagnosticCodes.PolicyMismatch, $"the class was generated with precision '{shape.Precision}'; only fp32, bf16 or auto are known");
        }

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
    /// (<see cref="PrecisionProbe"/>), unless the spec forced one (<see cref="DopModelShape.Precision"/>); <c>DOP_PRECISION=fp32|bf16</c>
    /// in the process overrides both.
    /// </summary>
    public ComputePrecision Precision { get; }

    /// <summary>The loaded checkpoint (reference forward, embeddings, decoding).</summary>
    public LlavaModel Model { get; }

    public DopModelShape Shape { get; }

    /// <summary>
    /// Logits [V] (fp32) at the last prompt position for an image file and a prompt holding one image token (or the
    /// expanded run of them). The caller disposes the result.
    /// </summary>
    public Tensor Forward(string imagePath, IReadOnlyList<int> promptTokenIds) => ForwardVariant(0, imagePath, promptTokenIds);

    /// <summary>
    /// Logits [V] at the last prompt position for preprocessed pixels [3, H, W] (null for a text-only prompt). An anyres
    /// model needs the image's size to place its tiles: give it the image file (<see cref="Forward(string, IReadOnlyList{int})"/>).
    /// </summary>
    public Tensor Forward(Tensor? pixels, IReadOnlyList<int> promptTokenIds) => ForwardVariant(0, pixels, promptTokenIds);

    /// <summary>
    /// The pruned prefill over prompt embeddings [T, d] laid out as <paramref name="segments"/>; logits [V] at the last
    /// position. <paramref name="clsAttention"/> ranks image tokens for a [CLS]-split policy (unused by a spread one); <paramref name="cache"/>
    /// (one per layer) receives each layer's kept keys/values for decoding; <paramref name="flops"/>, when given, counts the
    /// matrix-product FLOPs the pruned prefill executes; <paramref name="imageGrid"/> places a tiled (anyres) image's tokens
    /// for a split policy's order (<see cref="ImageTokenGrid.Of"/>; null for one tile).
    /// </summary>
    public Tensor Prefill(Tensor embeddings, PromptSegments segments, float[]? clsAttention = null, LayerKvCache[]? cache = null, ExecutedFlops? flops = null,
        ImageTokenGrid? imageGrid = null) =>
        PrefillVariant(0, embeddings, segments, clsAttention, cache, flops, imageGrid);

    /// <summary>
    /// Image tokens the prompt holds for an image of <paramref name="imageHeight"/> × <paramref name="imageWidth"/> pixels
    /// (as decoded, before preprocessing): the same for every size on a one-tile model, the anyres packing's count
    /// (base image, tile grid, one newline per row) on LLaVA-NeXT / LLaVA-OneVision.
    /// </summary>
    public int ImageTokensFor(int imageHeight, int imageWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        return Model.Config.IsAnyres ? Model.Config.AnyresImageTokens(imageHeight, imageWidth) : Model.Config.ImageTokensPerImage;
    }

    /// <summary>
    /// Greedy decoding: the pruned prefill, then up to <paramref name="maxNewTokens"/> tokens from a per-layer KV
    /// cache (generated tokens run every module), stopping before <paramref name="eosTokenId"/>. Returns token ids;
    /// decoding them to text is the caller's tokenizer's job.
    /// </summary>
    public IReadOnlyList<int> Generate(string imagePath, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId = -1) =>
        GenerateVariant(0, imagePath, promptTokenIds, maxNewTokens, eosTokenId);

    /// <summary>Greedy decoding from preprocessed pixels [3, H, W] (null for a text-only prompt).</summary>
    public IReadOnlyList<int> Generate(Tensor? pixels, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId = -1) =>
        GenerateVariant(0, pixels, promptTokenIds, maxNewTokens, eosTokenId);

    /// <summary>
    /// The model's answer as text: <paramref name="prompt"/> (the whole prompt as the model expects it, with
    /// <c>&lt;image&gt;</c> where the image goes, e.g. <c>USER: &lt;image&gt;\nWhat is shown?\nASSISTANT:</c>) encoded by the
    /// checkpoint's own tokenizer (loaded once from the model folder, trimmed copies included), greedy decoding of at most
    /// <paramref name="maxNewTokens"/> tokens stopping at the tokenizer's end-of-sequence token, decoded and trimmed. A class
    /// with several budgets runs its first variant here.
    /// </summary>
    public string Answer(string imagePath, string prompt, int maxNewTokens = DefaultAnswerTokens) => AnswerVariant(0, imagePath, prompt, maxNewTokens);

    /// <summary>The checkpoint's tokenizer, loaded from the model folder on first use (a trimmed model keeps the tokenizer files).</summary>
    public ModelTokenizer Tokenizer
    {
        get
        {
            lock (_gate)
            {
                return _tokenizer ??= ModelTokenizer.Load(Model.Folder);
            }
        }
    }

    /// <summary>
    /// Decodes and preprocesses an image file as the checkpoint's <c>preprocessor_config.json</c> says: [3, H, W] fp32, or
    /// on an anyres model its tiles [n, 3, c, c], base image first (which only the image file's own overloads can place).
    /// </summary>
    public Tensor LoadPixels(string imagePath)
    {
        var image = Preprocess(imagePath);
        return image.Count == 1 ? tensor(image.Pixels, [3L, image.Height, image.Width]) : tensor(image.Pixels, [(long)image.Count, 3L, image.Height, image.Width]);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The policy, unrolled: the generated subclass calls <paramref name="sequence"/>'s steps layer by layer.</summary>
    protected abstract void RunLayers(DopSequence sequence);

    /// <summary>
    /// Variant <paramref name="variant"/>'s policy unrolled (a generated class of several budgets overrides this; its
    /// <c>Variant</c> enum's values are the indices). A class of one budget has only variant 0, <see cref="RunLayers(DopSequence)"/>.
    /// </summary>
    protected virtual void RunLayers(DopSequence sequence, int variant)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(variant, 0);
        RunLayers(sequence);
    }

    /// <summary><see cref="Forward(string, IReadOnlyList{int})"/> under variant <paramref name="variant"/> (generated classes wrap it with their <c>Variant</c> enum).</summary>
    protected Tensor ForwardVariant(int variant, string imagePath, IReadOnlyList<int> promptTokenIds)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        using var scope = NewDisposeScope();
        return Run(variant, EncodeFile(imagePath), promptTokenIds, cache: null, out _).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Forward(Tensor?, IReadOnlyList{int})"/> under variant <paramref name="variant"/>.</summary>
    protected Tensor ForwardVariant(int variant, Tensor? pixels, IReadOnlyList<int> promptTokenIds)
    {
        using var scope = NewDisposeScope();
        return Run(variant, EncodePixels(pixels), promptTokenIds, cache: null, out _).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Prefill"/> under variant <paramref name="variant"/>.</summary>
    protected Tensor PrefillVariant(int variant, Tensor embeddings, PromptSegments segments, float[]? clsAttention, LayerKvCache[]? cache, ExecutedFlops? flops,
        ImageTokenGrid? imageGrid = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        using var noGrad = no_grad();
        var layout = TokenGroupLayout.ForLlava(segments, 1, clsAttention, Shape.ImageKeyFraction, imageRanking: Shape.ImageRanking, imageGrid: imageGrid);
        lock (_gate)
        {
            var program = ProgramFor(variant, layout);
            using var sequence = new DopSequence(Model, program, embeddings, cache, flops);
            RunLayers(sequence, variant);
            return sequence.LastLogits();
        }
    }

    /// <summary><see cref="Generate(string, IReadOnlyList{int}, int, int)"/> under variant <paramref name="variant"/>.</summary>
    protected IReadOnlyList<int> GenerateVariant(int variant, string imagePath, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        using var scope = NewDisposeScope();
        return Generate(variant, EncodeFile(imagePath), promptTokenIds, maxNewTokens, eosTokenId);
    }

    /// <summary><see cref="Generate(Tensor?, IReadOnlyList{int}, int, int)"/> under variant <paramref name="variant"/>.</summary>
    protected IReadOnlyList<int> GenerateVariant(int variant, Tensor? pixels, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId)
    {
        using var scope = NewDisposeScope();
        return Generate(variant, EncodePixels(pixels), promptTokenIds, maxNewTokens, eosTokenId);
    }

    private IReadOnlyList<int> Generate(int variant, EncodedImage? image, IReadOnlyList<int> promptTokenIds, int maxNewTokens, int eosTokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        using var noGrad = no_grad();
        var cache = Model.NewCache();
        try
        {
            using var first = Run(variant, image, promptTokenIds, cache, out var length);
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

    /// <summary><see cref="Answer(string, string, int)"/> under variant <paramref name="variant"/>.</summary>
    protected string AnswerVariant(int variant, string imagePath, string prompt, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        var tokenizer = Tokenizer;
        var ids = tokenizer.EncodePrompt(prompt);
        var tokens = GenerateVariant(variant, imagePath, ids, maxNewTokens, tokenizer.EosId ?? -1);
        return tokenizer.Decode(tokens).Trim();
    }

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

    /// <summary>The checkpoint's preprocessing of an image file (DOP004 when preprocessor_config.json does not fit config.json; DOP007 for a bad image).</summary>
    private PreprocessedImage Preprocess(string imagePath)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        try
        {
            _preprocessor ??= LoadPreprocessor();
            return _preprocessor.Preprocess(imagePath);
        }
        catch (SpecException e)
        {
            throw new DopException(DiagnosticCodes.PromptLayout, e.Message, imagePath, inner: e);
        }
    }

    /// <summary>The folder's preprocessor_config.json, checked once against config.json's tiling (DOP004).</summary>
    private ImagePreprocessor LoadPreprocessor()
    {
        var path = Path.Combine(Model.Folder, "preprocessor_config.json");
        var preprocessor = ImagePreprocessor.FromFile(path, Model.Config.Vision?.ImageSize);
        return preprocessor.MismatchWith(Model.Config.ImageGridPinpoints, Model.Config.ModelType) is { } problem
            ? throw new DopException(DiagnosticCodes.ModelConfig, problem, path)
            : preprocessor;
    }

    /// <summary>An image file's features (in the caller's dispose scope), tiled and placed by its size on an anyres model.</summary>
    private EncodedImage EncodeFile(string imagePath)
    {
        var image = Preprocess(imagePath);
        using var pixels = tensor(image.Pixels, [(long)image.Count, 3L, image.Height, image.Width]);
        var (features, cls) = Model.EncodeImage(pixels, image.ImageHeight, image.ImageWidth);
        return new EncodedImage(features, cls, ImageTokenGrid.Of(Model.Config, image.ImageHeight, image.ImageWidth));
    }

    /// <summary>Preprocessed one-tile pixels' features (in the caller's dispose scope); null pixels: a text-only prompt.</summary>
    private EncodedImage? EncodePixels(Tensor? pixels)
    {
        if (pixels is null)
        {
            return null;
        }

        if (Model.Config.IsAnyres)
        {
            throw new DopException(DiagnosticCodes.ModelConfig,
                $"model_type {Model.Config.ModelType} tiles each image by its size, which pixels alone do not tell: pass the image file (Forward/Generate(imagePath, ...))",
                Model.Folder);
        }

        var (features, cls) = Model.EncodeImage(pixels);
        return new EncodedImage(features, cls, Grid: null);
    }

    private Tensor Run(int variant, EncodedImage? image, IReadOnlyList<int> promptTokenIds, LayerKvCache[]? cache, out int promptLength)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Only a [CLS]-ranked split reads the scores; a spread split reads the grid.
        var cls = image is not null && Shape.ImageKeyFraction is not null ? image.ClsAttention.ToHostFloats() : null;
        var embeddings = Model.EmbedPrompt(promptTokenIds, image?.Features, out var segments);
        promptLength = segments.Length;
        return PrefillVariant(variant, embeddings, segments, cls, cache, flops: null, image?.Grid).MoveToOuterDisposeScope();
    }

    /// <summary>An image through the vision tower: features [N, d], [CLS] attention, and where an anyres image's tokens lie.</summary>
    private sealed record EncodedImage(Tensor Features, Tensor ClsAttention, ImageTokenGrid? Grid);

    private DopLayoutProgram ProgramFor(int variant, TokenGroupLayout layout)
    {
        if (!layout.HasGroups(Shape.Groups))
        {
            throw new DopException(DiagnosticCodes.PolicyMismatch,
                $"the prompt's token groups ({string.Join(", ", layout.Groups.Select(g => g.Name))}) differ from the generated class's ({string.Join(", ", Shape.Groups)})");
        }

        var groupOf = layout.GroupOfPosition();

        foreach (var program in _programs)
        {
            // A program replays one policy's steps: variants of one class share a layout but not their steps.
            if (program.Variant == variant && program.GroupOfPosition.AsSpan().SequenceEqual(groupOf))
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

        var created = new DopLayoutProgram(variant, groupOf, alwaysKept, Shape.NumLayers, Model.Device);
        _programs.Add(created);
        return created;
    }
}
