using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Flops;
using DopCompiler.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DopCompiler.Model.Modules;

/// <summary>
/// A loaded LLaVA checkpoint (CLIP or SigLIP tower, LLaMA or Qwen2 decoder; or a plain LLaMA/Qwen2 decoder): vision tower, projector and decoder weights, plus the unpruned
/// reference forward (prefill and KV-cached decoding). Pruned forwards reuse its weights and <see cref="DecoderBlocks"/>.
/// </summary>
public sealed class LlavaModel : IDisposable
{
    private readonly CheckpointTensors _tensors;
    private readonly WeightMatrix? _projector1, _projector2;
    private readonly Tensor? _imageNewline; // [d], LLaVA-NeXT

    private LlavaModel(string folder, ModelConfig config, CheckpointTensors tensors, TensorNaming naming, WeightResidency residency,
        Func<int, LayerModules> modulesPerLayer, bool loadVision)
    {
        Folder = folder;
        Config = config;
        _tensors = tensors;
        Naming = naming;
        Residency = residency;
        Device = tensors.Device ?? CPU;
        var text = config.Text;
        var embedName = naming.Decoder + "embed_tokens.weight";
        // On the CPU the embedding table stays in the mapping in its stored dtype: a prompt reads a few rows of it.
        EmbedTokens = tensors.Device is null ? tensors.LoadStored(embedName) : tensors.Load(embedName, DType);
        FinalNorm = tensors.Load(naming.Decoder + "norm.weight", DType);
        Layers = Enumerable.Range(0, text.NumLayers).Select(i => LoadLayer(i, modulesPerLayer(i))).ToArray();
        LmHead = WeightMatrix.Load(tensors, [text.TieWordEmbeddings && !tensors.Contains(naming.LmHead) ? embedName : naming.LmHead], residency);
        Rotary = new RotaryEmbedding(text.HeadDim, text.RopeTheta, Device);
        CheckShapes();
        if (config.Vision is not null && loadVision)
        {
            Vision = new VisionTower(tensors, naming, config.Vision, config.VisionLayersUsed, residency);
            _projector1 = WeightMatrix.Load(tensors, [naming.Projector + "linear_1.weight"], residency, [naming.Projector + "linear_1.bias"]);
            _projector2 = WeightMatrix.Load(tensors, [naming.Projector + "linear_2.weight"], residency, [naming.Projector + "linear_2.bias"]);
            if (config.IsAnyres)
            {
                _imageNewline = tensors.Load(naming.ImageNewline, DType);
                if (!_imageNewline.shape.SequenceEqual([(long)text.HiddenSize]))
                {
                    throw new DopException(DiagnosticCodes.MissingTensor,
                        $"tensor {naming.ImageNewline} has shape [{string.Join(", ", _imageNewline.shape)}], the config implies [{text.HiddenSize}]", folder);
                }
            }
        }
    }

    public string Folder { get; }

    public ModelConfig Config { get; }

    public TensorNaming Naming { get; }

    /// <summary>The dtype of activations, norms and the residual stream: always fp32 (see <see cref="ComputePrecision"/>).</summary>
    public ScalarType DType => ScalarType.Float32;

    /// <summary>The dtype of weight products and the memory budget of converted weights.</summary>
    public WeightResidency Residency { get; }

    public ComputePrecision Precision => Residency.Precision;

    /// <summary>Where the weights live and every forward computes (the CPU unless loaded onto another device).</summary>
    public Device Device { get; }

    /// <summary>The token embedding table [V, d]: on the CPU the mapped tensor in its stored dtype (rows are converted when read).</summary>
    public Tensor EmbedTokens { get; }

    public Tensor FinalNorm { get; }

    public WeightMatrix LmHead { get; }

    public IReadOnlyList<DecoderLayerWeights> Layers { get; }

    public RotaryEmbedding Rotary { get; }

    public VisionTower? Vision { get; }

    /// <summary>
    /// Loads a checkpoint folder (config.json + safetensors). <paramref name="modulesPerLayer"/> says which decoder
    /// modules to read per layer (default: all): a specialised model never reads what its policy never runs.
    /// <paramref name="device"/> (default the CPU) holds the weights; inputs from any device are moved there.
    /// Weight products compute in <paramref name="precision"/>; at most <paramref name="residentBytes"/> (default
    /// <see cref="WeightResidency.BudgetFromEnvironment"/>) of converted or fused matrices stay in memory beside the
    /// memory-mapped checkpoint, the rest is converted chunk by chunk as it runs (see <see cref="WeightResidency"/>).
    /// </summary>
    public static LlavaModel Load(string folder, ComputePrecision precision = ComputePrecision.Fp32, Func<int, LayerModules>? modulesPerLayer = null,
        bool loadVision = true, Device? device = null, long? residentBytes = null)
    {
        var config = ModelConfigReader.Read(folder);
        var tensors = CheckpointTensors.Open(folder, device);
        try
        {
            var naming = TensorNaming.Detect(tensors, config);
            using var noGrad = no_grad();
            var residency = new WeightResidency(precision, residentBytes ?? WeightResidency.BudgetFromEnvironment());
            return new LlavaModel(folder, config, tensors, naming, residency, modulesPerLayer ?? (_ => LayerModules.All), loadVision);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
    }

    /// <summary>Projected image features [N, d] for pixels [3, H, W], and the [CLS] attention over patches [N_patches].</summary>
    public (Tensor Features, Tensor ClsAttention) EncodeImage(Tensor pixels)
    {
        if (Vision is null)
        {
            throw new DopException(DiagnosticCodes.PromptLayout, $"the model in {Folder} has no vision tower (model_type {Config.ModelType})");
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (features, cls) = Vision.Forward(pixels.to(DType, Device), Config.FeatureSelectStrategy);
        var hidden = _projector1!.Apply(features);
        hidden = nn.functional.gelu(hidden);
        var projected = _projector2!.Apply(hidden); // [N, d]
        return (projected.MoveToOuterDisposeScope(), cls.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Projected features of one image of <paramref name="imageHeight"/> × <paramref name="imageWidth"/> (its size before
    /// preprocessing): for LLaVA-NeXT <paramref name="pixels"/> are its tiles [n, 3, c, c], base image first (see
    /// <see cref="EncodeAnyres"/>); for the single-tile layouts [3, H, W] or [1, 3, H, W] (the size is not needed).
    /// </summary>
    public (Tensor Features, Tensor ClsAttention) EncodeImage(Tensor pixels, int imageHeight, int imageWidth)
    {
        if (!Config.IsAnyres)
        {
            return EncodeImage(pixels.dim() == 4 ? pixels[0] : pixels);
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var features = EncodeAnyres(pixels.dim() == 3 ? pixels.unsqueeze(0) : pixels, imageHeight, imageWidth);
        // No [CLS] ranking over a packed anyres image yet (issue 17 item 3 defines the n_v order on tiles): an empty score
        // vector, which only an image split would read, and the search refuses llava_next before any split is made.
        return (features.MoveToOuterDisposeScope(), empty(0, device: Device).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// LLaVA-NeXT's <c>get_image_features</c> + <c>pack_image_features</c> (modeling_llava_next.py at
    /// huggingface/transformers@00dcc6dd): the CLIP tower and the projector on every tile; the base tile's g×g features
    /// (g = image_size / patch_size) first; the other tiles' features viewed as
    /// <c>(num_patch_height, num_patch_width, g, g, d)</c>, permuted to <c>(d, rows·g, columns·g)</c> (each tile's patch
    /// grid at its place in the tile grid), cut by <c>unpad_image</c> to the image's aspect (rows or columns removed
    /// evenly from both sides, see AnyresGeometry.Unpad for the rounding), one <c>image_newline</c> column appended
    /// (<c>torch.cat((image_feature, image_newline[:, None, None].expand(...)), dim=-1)</c>), then read row by row
    /// (<c>flatten(1, 2).transpose(0, 1)</c>). The grid comes from config.json's pinpoints and the image size, as
    /// transformers recomputes it (<c>get_anyres_image_grid_shape</c>); a tile count that disagrees is an error.
    /// </summary>
    private Tensor EncodeAnyres(Tensor tiles, int imageHeight, int imageWidth)
    {
        var vision = Config.Vision!;
        var (rows, columns) = Config.AnyresGrid(imageHeight, imageWidth);
        var count = tiles.shape[0];
        if (count != (rows * columns) + 1)
        {
            throw new DopException(DiagnosticCodes.PromptLayout,
                $"the image ({imageHeight}×{imageWidth}) came as {count} tiles, but config.json's image_grid_pinpoints give a {rows}×{columns} grid plus the base "
                + $"image ({(rows * columns) + 1}): preprocessor_config.json's image_grid_pinpoints or crop_size disagree with config.json");
        }

        var g = vision.PatchesPerSide;
        var d = Config.Text.HiddenSize;
        var projected = new List<Tensor>();
        for (var i = 0; i < count; i++)
        {
            var (features, _) = Vision!.Forward(tiles[i].to(DType, Device), Config.FeatureSelectStrategy);
            projected.Add(_projector2!.Apply(nn.functional.gelu(_projector1!.Apply(features)))); // [g², d]
        }

        var grid = stack(projected.Skip(1), 0)
            .view(rows, columns, g, g, d)
            .permute(4, 0, 2, 1, 3)
            .reshape(d, rows * g, columns * g);
        var (top, keptRows, left, keptColumns) = AnyresGeometry.Unpad(imageHeight, imageWidth, rows * g, columns * g);
        grid = grid.narrow(1, top, keptRows).narrow(2, left, keptColumns);
        var (packedRows, packedColumns) = Config.AnyresPackedGrid(imageHeight, imageWidth);
        if (packedRows != keptRows || packedColumns != keptColumns)
        {
            // LLaVA-OneVision shrinks a large grid (modeling_llava_onevision.py, pack_image_features:
            // nn.functional.interpolate(image_feature[None], [int(curr_height // ratio), int(curr_width // ratio)],
            // mode="bilinear")[0], align_corners False, no antialias); the size rule is ModelConfig.AnyresPackedGrid.
            grid = nn.functional.interpolate(grid.unsqueeze(0), [packedRows, packedColumns], mode: InterpolationMode.Bilinear, align_corners: false)[0];
            (keptRows, keptColumns) = (packedRows, packedColumns);
        }

        var newline = _imageNewline!.view(d, 1, 1).expand(d, keptRows, 1);
        var packed = cat([grid, newline], 2).flatten(1, 2).transpose(0, 1); // [keptRows · (keptColumns + 1), d]
        return cat([projected[0], packed], 0);
    }

    /// <summary>
    /// Token embeddings [T, d] with the image features merged at the image token. A prompt may hold one
    /// <c>&lt;image&gt;</c> token (expanded here, LLaVA-1.5's original processor) or exactly N of them (newer processors).
    /// </summary>
    public Tensor EmbedPrompt(IReadOnlyList<int> ids, Tensor? imageFeatures, out PromptSegments segments)
    {
        using var noGrad = no_grad();
        var imagePositions = Enumerable.Range(0, ids.Count).Where(i => ids[i] == Config.ImageTokenIndex).ToArray();
        foreach (var id in ids)
        {
            if ((id < 0 || id >= Config.Text.VocabSize) && id != Config.ImageTokenIndex)
            {
                throw new DopException(DiagnosticCodes.PromptLayout, $"token id {id} is outside the vocabulary (size {Config.Text.VocabSize})");
            }
        }

        if (imageFeatures is null)
        {
            if (imagePositions.Length > 0)
            {
                throw new DopException(DiagnosticCodes.PromptLayout, "the prompt holds an image token but no image was given");
            }

            segments = new PromptSegments(0, 0, ids.Count);
            CheckWindow(ids.Count);
            using var plain = tensor(ids.Select(i => (long)i).ToArray(), device: Device);
            return EmbedRows(plain);
        }

        var n = (int)imageFeatures.shape[0];
        int start, textStart;
        if (imagePositions.Length == 1)
        {
            start = imagePositions[0];
            textStart = start + 1;
        }
        else if (imagePositions.Length == n && imagePositions[^1] - imagePositions[0] == n - 1)
        {
            start = imagePositions[0];
            textStart = start + n;
        }
        else
        {
            throw new DopException(DiagnosticCodes.PromptLayout,
                $"the prompt must hold one image token (id {Config.ImageTokenIndex}) or {n} consecutive ones; it holds {imagePositions.Length}");
        }

        using var scope = NewDisposeScope();
        var before = ids.Take(start).Select(i => (long)i).ToArray();
        var after = ids.Skip(textStart).Select(i => (long)i).ToArray();
        var parts = new List<Tensor>();
        if (before.Length > 0)
        {
            parts.Add(EmbedRows(tensor(before, device: Device)));
        }

        parts.Add(imageFeatures.to_type(DType));
        if (after.Length > 0)
        {
            parts.Add(EmbedRows(tensor(after, device: Device)));
        }

        segments = new PromptSegments(before.Length, n, after.Length);
        CheckWindow(segments.Length);
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Final norm and LM head over hidden rows [k, d] → logits [k, V] (fp32).</summary>
    public Tensor Logits(Tensor hiddenRows)
    {
        using var scope = NewDisposeScope();
        var normed = DecoderBlocks.RmsNorm(hiddenRows, FinalNorm, Config.Text.RmsNormEps);
        return LmHead.Apply(normed).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The unpruned reference prefill: every layer over every position. Returns logits [k, V] at
    /// <paramref name="outputPositions"/> (row indices); fills <paramref name="cache"/> (one per layer) when given.
    /// <paramref name="positionIds"/> gives each row's position id (default 0..T−1), e.g. a prompt with tokens removed.
    /// </summary>
    public Tensor ReferencePrefill(Tensor embeddings, IReadOnlyList<int> outputPositions, ExecutedFlops? flops = null, LayerKvCache[]? cache = null,
        IReadOnlyList<int>? positionIds = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var t = embeddings.shape[0];
        var ids = positionIds is null ? arange(t, ScalarType.Int64, device: Device) : tensor(positionIds.Select(p => (long)p).ToArray(), device: Device);
        var (cos, sin) = Rotary.Tables(ids);
        var h = embeddings.clone();
        for (var l = 0; l < Layers.Count; l++)
        {
            using var layerScope = NewDisposeScope();
            var update = DecoderBlocks.Attention(h, Layers[l], Config.Text, cos, sin, flops, out var keys, out var values);
            h.PlusInPlace(update);
            cache?[l].Append(keys, values);
            h.PlusInPlace(DecoderBlocks.Mlp(h, Layers[l], Config.Text, flops));
        }

        using var rows = tensor(outputPositions.Select(p => (long)p).ToArray(), device: Device);
        return Logits(h.index_select(0, rows)).MoveToOuterDisposeScope();
    }

    /// <summary>One decoding step: the new token at <paramref name="position"/> runs every module; returns logits [V].</summary>
    public Tensor DecodeStep(int tokenId, int position, IReadOnlyList<LayerKvCache> cache, ExecutedFlops? flops = null)
    {
        CheckWindow(position + 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var h = EmbedRows(tensor(new long[] { tokenId }, device: Device)); // [1, d]
        var (cos, sin) = Rotary.Tables(tensor(new long[] { position }, device: Device));
        for (var l = 0; l < Layers.Count; l++)
        {
            h = h.Plus(DecoderBlocks.AttentionWithCache(h, Layers[l], Config.Text, cos, sin, cache[l], flops));
            h = h.Plus(DecoderBlocks.Mlp(h, Layers[l], Config.Text, flops));
        }

        return Logits(h).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Fresh per-layer caches for one sequence.</summary>
    public LayerKvCache[] NewCache() => Enumerable.Range(0, Layers.Count).Select(_ => new LayerKvCache()).ToArray();

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        LmHead.Dispose();
        EmbedTokens.Dispose();
        FinalNorm.Dispose();
        Rotary.Dispose();
        Vision?.Dispose();
        _imageNewline?.Dispose();
        _projector1?.Dispose();
        _projector2?.Dispose();
        _tensors.Dispose();
    }

    /// <summary>
    /// Mistral's sliding window (<c>sliding_window</c>): a position attends to the last <c>sliding_window</c> positions,
    /// itself included, so a sequence no longer than the window computes exactly as full causal attention. Longer ones
    /// would need the window, which is not implemented: a coded error instead of silently different logits.
    /// </summary>
    private void CheckWindow(int length)
    {
        if (Config.Text.SlidingWindow is { } window && length > window)
        {
            throw new DopException(DiagnosticCodes.PromptLayout,
                $"the sequence is {length} tokens, longer than the decoder's sliding_window ({window}, text_config): windowed attention is not implemented, so prompts (with their image tokens and generated tokens) must fit the window");
        }
    }

    /// <summary>Embedding rows for token ids (int64 [n]) in <see cref="DType"/>.</summary>
    private Tensor EmbedRows(Tensor ids)
    {
        using var rows = EmbedTokens.index_select(0, ids);
        return rows.to_type(DType);
    }

    private DecoderLayerWeights LoadLayer(int i, LayerModules modules)
    {
        Tensor L(string rest) => _tensors.Load(Naming.DecoderLayer(i, rest), DType);
        WeightMatrix M(params string[] rests) => WeightMatrix.Load(_tensors, rests.Select(r => Naming.DecoderLayer(i, r)).ToArray(), Residency);
        var attention = modules.HasFlag(LayerModules.Attention);
        var mlp = modules.HasFlag(LayerModules.Mlp);
        return new DecoderLayerWeights
        {
            InputNorm = attention ? L("input_layernorm.weight") : null,
            QkvProj = attention ? M("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight") : null,
            QkvBias = attention && Config.Text.QkvBias ? _tensors.LoadConcatenated(new[] { "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias" }.Select(r => Naming.DecoderLayer(i, r)).ToArray(), DType) : null,
            OProj = attention ? M("self_attn.o_proj.weight") : null,
            PostAttentionNorm = mlp ? L("post_attention_layernorm.weight") : null,
            GateUpProj = mlp ? M("mlp.gate_proj.weight", "mlp.up_proj.weight") : null,
            DownProj = mlp ? M("mlp.down_proj.weight") : null,
        };
    }

    private void CheckShapes()
    {
        var text = Config.Text;
        void Expect(long[]? actual, string name, params long[] shape)
        {
            if (actual is not null && !actual.SequenceEqual(shape))
            {
                throw new DopException(DiagnosticCodes.MissingTensor,
                    $"tensor {name} has shape [{string.Join(", ", actual)}], the config implies [{string.Join(", ", shape)}]", Folder);
            }
        }

        Expect(EmbedTokens.shape, "embed_tokens", text.VocabSize, text.HiddenSize);
        Expect(LmHead.Shape, "lm_head", text.VocabSize, text.HiddenSize);
        for (var i = 0; i < Layers.Count; i++)
        {
            Expect(Layers[i].QkvProj?.Shape, $"layers.{i}.self_attn.q/k/v_proj", text.QueryWidth + (2L * text.KeyValueWidth), text.HiddenSize);
            Expect(Layers[i].QkvBias?.shape, $"layers.{i}.self_attn.q/k/v_proj.bias", text.QueryWidth + (2L * text.KeyValueWidth));
            Expect(Layers[i].OProj?.Shape, $"layers.{i}.self_attn.o_proj", text.HiddenSize, text.QueryWidth);
            Expect(Layers[i].GateUpProj?.Shape, $"layers.{i}.mlp.gate/up_proj", 2L * text.IntermediateSize, text.HiddenSize);
            Expect(Layers[i].DownProj?.Shape, $"layers.{i}.mlp.down_proj", text.HiddenSize, text.IntermediateSize);
        }
    }
}
