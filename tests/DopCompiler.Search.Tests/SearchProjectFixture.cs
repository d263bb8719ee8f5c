using DopCompiler.Spec;
using DopCompiler.TestFixtures;

namespace DopCompiler.Search.Tests;

/// <summary>A tiny search project on disk and its prepared context (reference run done once for the class).</summary>
public sealed class SearchProjectFixture : IDisposable
{
    public SearchProjectFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), "dop-search-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        SpecPath = TinySearchProject.Write(Folder, samples: 4, budget: 0.8, extraYaml: """
            groups:
              - name: system
                source: system
              - name: image
                source: image
                prunable: true
              - name: text
                source: text
                prunable: true
            """);
        Spec = DopSpecParser.Parse(SpecPath).GetValueOrThrow();
        var validation = ValidationSetReader.Read(Spec.Validation).GetValueOrThrow();
        Statistics = new SearchStatistics();
        Context = SearchContext.Prepare(Spec, validation.Samples, new SilentProgress(), Statistics);
    }

    public string Folder { get; }

    public string SpecPath { get; }

    public DopSpec Spec { get; }

    public SearchContext Context { get; }

    public SearchStatistics Statistics { get; }

    public void Dispose()
    {
        Context.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
