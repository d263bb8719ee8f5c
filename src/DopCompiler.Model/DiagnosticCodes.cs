namespace DopCompiler.Model;

/// <summary>Every <c>DOP0xx</c> code the model layer raises; README's diagnostics table lists meaning and fix.</summary>
public static class DiagnosticCodes
{
    /// <summary>libtorch or TorchSharp's native shim cannot be loaded.</summary>
    public const string NativeLoad = "DOP001";

    /// <summary>A safetensors file is malformed (header, offsets, sizes, dtype).</summary>
    public const string SafetensorsFormat = "DOP002";

    /// <summary>A checkpoint lacks a tensor the architecture needs, or a tensor has the wrong shape.</summary>
    public const string MissingTensor = "DOP003";

    /// <summary>A config.json / preprocessor_config.json is missing, malformed or describes an unsupported model.</summary>
    public const string ModelConfig = "DOP004";

    /// <summary>A checkpoint file or folder does not exist.</summary>
    public const string ModelNotFound = "DOP005";

    /// <summary>A pruning policy does not fit the model (layer count, groups, values out of range).</summary>
    public const string PolicyMismatch = "DOP006";

    /// <summary>The requested device (CUDA) is not available.</summary>
    public const string DeviceUnavailable = "DOP007";

    /// <summary>A prompt is malformed for the model (no image token where an image is given, etc.).</summary>
    public const string PromptLayout = "DOP008";

    /// <summary>The model folder's tokenizer is missing or cannot be loaded.</summary>
    public const string Tokenizer = "DOP009";

    /// <summary>A generated class was given a model other than the one its policy was made for (content hash mismatch).</summary>
    public const string ModelHashMismatch = "DOP010";

    /// <summary>The budget cannot be reached even with everything prunable pruned (an error unless the spec says <c>on_unreachable: cheapest</c>).</summary>
    public const string BudgetUnreachable = "DOP041";

    /// <summary>The command line is malformed: a missing or unknown option or value, or options that contradict each other.</summary>
    public const string Usage = "DOP043";

    /// <summary>(warning) A committed policy no longer matches the model or the spec (dop verify, dop trim).</summary>
    public const string PolicyOutOfDate = "DOP040";

    /// <summary><c>dop solve</c> found no cached curves for the spec.</summary>
    public const string NoCachedCurves = "DOP042";

    /// <summary><c>grid.n_v</c> cannot be searched for this model or these groups.</summary>
    public const string TokenCountGrid = "DOP045";

    /// <summary>An internal error in the tool (a bug): printed as <c>dop: error DOP099</c>.</summary>
    public const string InternalError = "DOP099";

    /// <summary>A group asks for the [CLS] ranking on a vision tower without a [CLS] token (use <c>ranking: spread</c>).</summary>
    public const string ClsRanking = "DOP046";

    /// <summary>The search's estimated time exceeds the spec's <c>max_search_minutes</c>.</summary>
    public const string SearchTooLong = "DOP047";

    /// <summary>A curve shard was measured for other inputs (model, validation set, spec settings, tool version), or is damaged.</summary>
    public const string ShardMismatch = "DOP060";

    /// <summary>A shard of the split (or a point of a shard) is missing, or a shard folder holds no shard.</summary>
    public const string ShardMissing = "DOP061";

    /// <summary>Shards overlap: the same shard twice, shards of different splits, or a point in the wrong shard.</summary>
    public const string ShardOverlap = "DOP062";
}
