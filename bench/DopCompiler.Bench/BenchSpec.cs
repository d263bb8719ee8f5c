using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Bench;

/// <summary>The spec a benchmark runs on: the one given with --spec, or a random-weight fixture of realistic shape.</summary>
public static class BenchSpec
{
    public static DopSpec Load(Options options)
    {
        var path = options.String("spec");
        if (path is null)
        {
            var folder = Path.Combine(Path.GetTempPath(), "dop-bench-spec", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            path = TinySearchProject.Write(folder, samples: options.Int("samples", 16), budget: 0.5,
                options: TinySearchProject.DefaultOptions with { Layers = 8, Hidden = 256, Heads = 8, KeyValueHeads = 2, Intermediate = 688, ImageSize = 64, PatchSize = 8 });
            Console.WriteLine($"(random-weight fixture: 8 layers, hidden 256, 64 image tokens, in {folder})");
        }

        return DopSpecParser.Parse(path).GetValueOrThrow();
    }
}
