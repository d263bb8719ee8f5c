using System.Diagnostics;
using System.Globalization;
using DopCompiler.Inputs.Images;
using DopCompiler.Model.Checkpoints;
using DopCompiler.Model.Configuration;
using DopCompiler.Model.Modules;
using DopCompiler.Search;
using DopCompiler.Search.Curves;
using DopCompiler.Spec;
using static TorchSharp.torch;

namespace DopCompiler.Bench;

/// <summary>
/// <c>interleave-scale</c> and <c>onevision-scale</c>: a SigLIP-so400m + Qwen2-0.5B model at its real dimensions with
/// random weights (<see cref="RealShapeCheckpoint"/> "interleave" or "onevision"), written once as one BF16 file (never
/// committed): load time, peak RSS, the image-token count of a photo (for OneVision: the anyres tiles, checked against the
/// processor's formula), vision and unpruned prefill time per precision, and the full search's estimated time with the
/// QuickStart's settings.
/// </summary>
public static class SiglipQwenScaleBenchmark
{
    public static void Run(Options options, string shape)
    {
        var folder = options.String("folder") ?? Path.Combine(Path.GetTempPath(), $"dop-{shape}-qwen-0.5b-random");
        var rounds = options.Int("rounds", 1);
        var o = RealShapeCheckpoint.Shape(shape);
        var watch = Stopwatch.StartNew();
        // A folder from an earlier version of this bench holds 4 shards and an index: still a valid checkpoint.
        if (!File.Exists(Path.Combine(folder, "model.safetensors")) && !File.Exists(Path.Combine(folder, CheckpointTensors.IndexFileName)))
        {
            var bytes = RealShapeCheckpoint.Write(folder, o);
            Console.WriteLine($"wrote {folder} in {watch.Elapsed.TotalSeconds:F0} s ({bytes / 1e9:F2} GB BF16, {bytes / 2e9:F3} G parameters)");
            // Writing drew every weight in this process: its high-water mark would stand in for the model's.
            Console.WriteLine("run again to measure: peak RSS (VmHWM) in this process now includes writing the checkpoint");
            return;
        }

        var config = ModelConfigReader.Read(folder);
        var (height, width) = ParseSize(options.String("image") ?? (config.IsAnyres ? "768x1024" : "384x384"));
        if (config.IsAnyres)
        {
            PrintTokenTable(config);
        }

        var probe = PrecisionProbe.Measure();
        Console.WriteLine($"precision probe: {probe.Describe()}");
        var precisions = (options.String("precisions") ?? (probe.Choice == ComputePrecision.Bf16 ? "fp32,bf16" : "fp32")).Split(',')
            .Select(p => p == "bf16" ? ComputePrecision.Bf16 : ComputePrecision.Fp32).ToArray();
        var preprocessor = ImagePreprocessor.FromFile(Path.Combine(folder, "preprocessor_config.json"), config.Vision!.ImageSize);
        var image = new RgbImage { Height = height, Width = width, Pixels = AnyresTokensBenchmark.Photo(height, width) };
        var measured = precisions.Select(p => (Precision: p, Figures: Measure(folder, p, preprocessor, image, rounds))).ToArray();
        // The search measures in fp32; without an fp32 run (--precisions bf16) the estimate says which figures it used.
        var (used, figures) = measured.FirstOrDefault(m => m.Precision == ComputePrecision.Fp32, measured[0]);
        Estimate(options, config, figures, used == ComputePrecision.Bf16 ? "bf16" : "fp32");
    }

    /// <summary>Median seconds of one image's preprocessing, vision tower + projector, and unpruned decoder prefill.</summary>
    private sealed record Measured(double Preprocess, double Vision, double Prefill, int Positions);

    private static Measured Measure(string folder, ComputePrecision precision, ImagePreprocessor preprocessor, RgbImage image, int rounds)
    {
        var name = precision == ComputePrecision.Bf16 ? "bf16" : "fp32";
        var watch = Stopwatch.StartNew();
        using var model = LlavaModel.Load(folder, precision);
        Console.WriteLine($"[{name}] load: {watch.Elapsed.TotalSeconds:F2} s, peak RSS after load {PeakRssMb():F0} MB");
        using var noGrad = no_grad();
        var preprocessing = new List<double>();
        var vision = new List<double>();
        var prefill = new List<double>();
        var positions = 0;
        for (var r = 0; r < rounds; r++)
        {
            watch.Restart();
            var tiles = preprocessor.Preprocess(image);
            preprocessing.Add(watch.Elapsed.TotalSeconds);
            using var pixels = tensor(tiles.Pixels).reshape(tiles.Count, 3, tiles.Height, tiles.Width);
            watch.Restart();
            var (features, cls) = model.EncodeImage(pixels, tiles.ImageHeight, tiles.ImageWidth);
            vision.Add(watch.Elapsed.TotalSeconds);
            using (features)
            using (cls)
            {
                var expected = model.Config.IsAnyres ? model.Config.AnyresImageTokens(image.Height, image.Width) : model.Config.ImageTokensPerImage;
                if (features.shape[0] != expected)
                {
                    throw new InvalidOperationException($"the model packed {features.shape[0]} image features, the processor's formula gives {expected}");
                }

                // 15 text tokens, the image, 16 text tokens (as interleave-scale always measured).
                int[] prompt = [.. Enumerable.Range(100, 15), model.Config.ImageTokenIndex, .. Enumerable.Range(2000, 16)];
                using var embeddings = model.EmbedPrompt(prompt, features, out var segments);
                watch.Restart();
                using var logits = model.ReferencePrefill(embeddings, [segments.Length - 1]);
                prefill.Add(watch.Elapsed.TotalSeconds);
                positions = segments.Length;
                if (r == 0)
                {
                    Console.WriteLine($"[{name}] image {image.Height} × {image.Width}: {tiles.Count} tiles of {tiles.Height} px, {segments.ImageLength} image tokens "
                        + $"(= the processor's formula), prompt {segments.Length} positions");
                }
            }
        }

        var result = new Measured(Median(preprocessing), Median(vision), Median(prefill), positions);
        Console.WriteLine($"[{name}] preprocessing (managed): median {result.Preprocess:F2} s; vision tower + projector, all tiles: median {result.Vision:F2} s ({List(vision)})");
        Console.WriteLine($"[{name}] unpruned decoder prefill, {positions} positions: median {result.Prefill:F2} s ({List(prefill)})");
        Console.WriteLine($"[{name}] peak RSS after prefill: {PeakRssMb():F0} MB (VmHWM: the process's high-water mark so far)");
        return result;
    }

    /// <summary>
    /// The search's own estimate (<see cref="SearchEstimate.Of"/>, what <c>dop search</c> prints and checks against
    /// max_search_minutes) for the QuickStart's spec on this model: its groups, modules, grid step, n_v grid and validation
    /// set size, prefix reuse on. The search measures in fp32, so the fp32 figures go in when measured. Its reference run prepares each
    /// sample with the image, a greedy prefill (plus max_positions - 1 decode steps, left out here) and a second
    /// layer-by-layer pass that stores every layer boundary: ≈ preprocessing + vision + 2 prefills per sample.
    /// </summary>
    private static void Estimate(Options options, ModelConfig config, Measured fp32, string precision)
    {
        var specPath = options.String("spec") ?? FindQuickStartSpec();
        var spec = DopSpecParser.Parse(specPath).GetValueOrThrow();
        var samples = ValidationSetReader.Read(spec.Validation).GetValueOrThrow().Samples.Count;
        var modules = spec.Modules.Select(m => m == PrunableModule.Attention ? PolicyParameter.Attention : PolicyParameter.Mlp).ToArray();
        var parameters = CurveBuilder.Parameters(SearchContext.GroupsOf(spec), modules).Count;
        var layers = config.Text.NumLayers;
        var perSample = fp32.Preprocess + fp32.Vision + (2 * fp32.Prefill);
        var reference = TimeSpan.FromSeconds(samples * perSample);
        // An anyres model's image-token count varies per image, so the search refuses an n_v grid there (DOP045): the
        // QuickStart's grid drops out and its spread-ranked image group is pruned by depth alone.
        var tokenCounts = config.IsAnyres ? 0 : spec.Grid.NV?.Count ?? 0;
        var estimate = SearchEstimate.Of(layers, spec.Grid.Step, parameters, reusePrefix: true, tokenCounts, randomPolicies: 0, reference);
        Console.WriteLine($"QuickStart spec {specPath}: {samples} validation samples, {parameters} curves ({spec.Modules.Count} modules × prunable groups), "
            + $"grid step {spec.Grid.Step}, {tokenCounts} n_v counts{(config.IsAnyres ? " (its grid.n_v is refused on anyres: DOP045)" : "")}, {layers} decoder layers");
        Console.WriteLine($"reference pass ({precision} figures): {samples} × ({fp32.Preprocess:F1} + {fp32.Vision:F1} + 2 × {fp32.Prefill:F1} s) = {reference.TotalMinutes:F0} min");
        Console.WriteLine($"search's {estimate.Describe()} = {estimate.Total.TotalHours:F1} h");
        // Curve points start from the stored boundaries, so none of them re-runs the image: the tighter figure.
        var curves = TimeSpan.FromSeconds((estimate.Passes - 1) * samples * fp32.Prefill);
        Console.WriteLine($"without the image in every pass: reference pass + {estimate.Passes - 1:F1} × {samples} × {fp32.Prefill:F1} s = {(reference + curves).TotalHours:F1} h");
        var boundaryBytes = (layers + 1L) * fp32.Positions * config.Text.HiddenSize * 4;
        Console.WriteLine($"the search keeps {layers + 1} fp32 layer boundaries per sample: {boundaryBytes / 1e9:F2} GB per sample, {samples * boundaryBytes / 1e9:F1} GB for {samples}");
    }

    /// <summary>Image tokens of a photo of each size: grid, unpadded and (anyres_max_N) shrunk grid, count.</summary>
    private static void PrintTokenTable(ModelConfig config)
    {
        var unshrunk = config with { AnyresMaxPatches = null };
        Console.WriteLine("| image (height × width) | tiles (grid + base) | unpadded feature grid | packed grid (after anyres_max) | image tokens |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (height, width) in AnyresTokensBenchmark.Sizes)
        {
            var (rows, columns) = config.AnyresGrid(height, width);
            var (keptRows, keptColumns) = unshrunk.AnyresPackedGrid(height, width);
            var (packedRows, packedColumns) = config.AnyresPackedGrid(height, width);
            Console.WriteLine($"| {height} × {width} | {rows}×{columns} + 1 | {keptRows} × {keptColumns} | {packedRows} × {packedColumns} | {config.AnyresImageTokens(height, width)} |");
        }
    }

    /// <summary>samples/QuickStart/dop.yaml of the checkout this runs from (walking up from the working directory).</summary>
    private static string FindQuickStartSpec()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "QuickStart", "dop.yaml");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("samples/QuickStart/dop.yaml not found above the working directory: pass --spec <dop.yaml>");
    }

    private static (int Height, int Width) ParseSize(string text)
    {
        var parts = text.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static double Median(List<double> xs) => Search.Timing.SampleStatistics.Median(xs);

    private static string List(List<double> xs) => string.Join(", ", xs.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)));

    private static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
