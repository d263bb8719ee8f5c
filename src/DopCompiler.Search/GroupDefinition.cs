using DopCompiler.Model.Pruning;
using DopCompiler.Policy;

namespace DopCompiler.Search;

/// <summary>
/// A token group as the search sees it: name, prompt part, prunable, and for the halves of an image split the share of
/// image tokens and the order they are taken in (<see cref="ImageTokenOrder"/> words; only split halves use it).
/// </summary>
public sealed record GroupDefinition(string Name, string Source, bool Prunable, double ImageFraction = 0, string Ranking = ImageTokenOrder.ClsWord)
{
    /// <summary>The groups a policy file was searched with (an n_v choice appears there as an <c>image_key</c>/<c>image_rest</c> split).</summary>
    public static IReadOnlyList<GroupDefinition> Of(PolicyDocument document) =>
        document.Groups.Select(g => new GroupDefinition(g.Name, g.Source, g.Prunable, g.ImageFraction, g.Ranking ?? ImageTokenOrder.ClsWord)).ToArray();
}
