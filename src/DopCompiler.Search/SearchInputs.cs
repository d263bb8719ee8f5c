using DopCompiler.Spec;
using DopCompiler.Inputs.Hashing;

namespace DopCompiler.Search;

/// <summary>Content hashes of what a search depends on: the model, the curves' inputs, the whole policy's inputs.</summary>
public sealed record SearchInputs(string ModelHash, string CurveKey, string PolicyKey)
{
    /// <summary>Files of a model folder that decide its outputs: config, weights, tokenizer, preprocessing.</summary>
    public static IReadOnlyList<string> ModelFiles(string folder) =>
        Directory.GetFiles(folder)
            .Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)
                || f.EndsWith(".txt", StringComparison.Ordinal) || f.EndsWith(".model", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>SHA-256 over config.json and the safetensors files (what the weights are, not where they are); see <see cref="DopCompiler.Inputs.Hashing.ModelHash"/>.</summary>
    public static string HashModel(string folder) => DopCompiler.Inputs.Hashing.ModelHash.Of(folder);

    public static SearchInputs Of(DopSpec spec, ValidationSet validation, double budget)
    {
        var modelHash = HashModel(spec.Model);
        using var curve = new ContentHashBuilder();
        // "moments": entries since the layouts' covariance is kept (older ones would price every sample at the mean layout).
        curve.AddString("curves").AddString("moments").AddString(ToolVersion.Current).AddString(modelHash);
        foreach (var file in ModelFiles(spec.Model).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
        {
            curve.AddString(Path.GetFileName(file)).AddFile(file);
        }

        foreach (var sample in validation.Samples)
        {
            curve.AddString(sample.Prompt).AddString(sample.Answer).AddFile(sample.ImagePath);
        }

        foreach (var group in SearchContext.GroupsOf(spec))
        {
            curve.AddString(group.ToString());
        }

        curve.AddString(string.Join(",", spec.Modules)).AddString(spec.Divergence.ToString()).AddString(spec.Grid.Step.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .AddString(spec.Precision.ToString())
            .AddString(spec.Grid.NV is { } nv ? "n_v:" + string.Join(",", nv) : "n_v:none");
        var curveKey = curve.ToHex();

        using var policy = new ContentHashBuilder();
        policy.AddString("policy").AddString(curveKey).AddString(spec.Budget.Kind.ToString())
            .AddString(budget.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).AddString(spec.Flops.ToString());
        if (spec.Budget.OnUnreachable == UnreachableBudget.Cheapest)
        {
            // Only when set, so every policy made before the key existed keeps its hash: switching back to the default
            // must not leave an up-to-date cheapest policy that the default would refuse.
            policy.AddString("on_unreachable:cheapest");
        }

        if (spec.Budget.IsQualityTarget)
        {
            // A quality target's "cheapest" depends on what it is priced in (no policy made before the key existed had one).
            policy.AddString("price:" + BudgetValue.PriceWord(spec.Budget.Price));
        }

        if (spec.Budgets is { } budgets)
        {
            // Several named budgets: every name, kind, value and setting decides the file (a single budget keeps its old key).
            policy.AddString("budgets");
            foreach (var (name, named) in budgets)
            {
                policy.AddString(name).AddString(named.Kind.ToString()).AddString(named.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                    .AddString(named.OnUnreachable.ToString()).AddString(BudgetValue.PriceWord(named.Price));
            }
        }

        return new SearchInputs(modelHash, curveKey, policy.ToHex());
    }
}
