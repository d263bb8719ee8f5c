using System.Security.Cryptography;
using System.Text;
using DopCompiler.Policy;

// Fake `dop`: `search <spec> --out <policy> [--budget F] [--device D] [--libtorch-dir X] [--cache-dir X] [--trimmed-out D]`,
// `verify <spec> --policy <policy>` and `trim <spec> --policy <policy> --out <folder>` (a trimmed model is config.json and
// model.safetensors holding the policy's spec hash). Spec keys it obeys (it ignores everything else):
//   fake_error: <message>   print a canonical error at that line, exit 1
//   fake_crash: true        throw an unhandled exception (exit 134, like a real crash)
//   fake_exit: <code>       exit with that code, printing nothing canonical
//   fake_sleep_ms: <n>      sleep before writing (for cancellation)
//   fake_warning: <CODE> <message>  print a canonical warning during the search and keep it in the policy; the up-to-date
//                           path and verify repeat it (as the real tool does)
//   fake_class: <name> / fake_namespace: <ns>  the names written into the policy's output section (the real tool takes
//                           them from output.class_name / output.namespace; defaults: the file-name rule, DopGenerated)
// Every invocation appends its arguments to $FAKE_DOP_LOG when set. Like the real tool, a successful search ends with
// the machine-readable line "dop-result: written" or "dop-result: up-to-date", and never touches an unchanged policy.
var log = Environment.GetEnvironmentVariable("FAKE_DOP_LOG");
if (!string.IsNullOrEmpty(log))
{
    File.AppendAllText(log, string.Join(' ', args) + "\n");
}

if (args.Length < 2)
{
    Console.Error.WriteLine("dop: error DOP099: usage: dop search|verify <spec> ...");
    return 2;
}

var command = args[0];
var spec = Path.GetFullPath(args[1]);
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

var lines = File.ReadAllLines(spec);
string? Key(string key, out int line)
{
    for (line = 0; line < lines.Length; line++)
    {
        var text = lines[line];
        if (text.StartsWith(key + ":", StringComparison.Ordinal))
        {
            return text[(key.Length + 1)..].Trim();
        }
    }

    line = -1;
    return null;
}

var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
    File.ReadAllText(spec) + "|" + Option("--budget") + "|" + Option("--device"))));

void WriteTrimmed(string folder, string policyHash)
{
    var weights = Path.Combine(folder, "model.safetensors");
    if (File.Exists(weights) && File.ReadAllText(weights) == policyHash)
    {
        Console.Error.WriteLine($"dop: trimmed model is up to date: {folder}");
        return;
    }

    Directory.CreateDirectory(folder);
    File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
    File.WriteAllText(weights, policyHash);
    Console.Error.WriteLine($"dop: trimmed model written: {folder}");
}

void RepeatWarnings(PolicyDocument document)
{
    foreach (var warning in document.Warnings ?? [])
    {
        Console.Error.WriteLine($"{spec}: warning {warning.Code}: {warning.Message}");
    }
}

if (command == "trim")
{
    var policyPath = Option("--policy")!;
    var document = PolicySchema.TryParse(File.ReadAllBytes(policyPath), out var error);
    if (document == null)
    {
        Console.Error.WriteLine($"{policyPath}: error DOP041: {error}");
        return 1;
    }

    WriteTrimmed(Option("--out")!, document.SpecHash);
    return 0;
}

if (command == "verify")
{
    var policyPath = Option("--policy")!;
    var document = PolicySchema.TryParse(File.ReadAllBytes(policyPath), out var error);
    if (document == null)
    {
        Console.Error.WriteLine($"{policyPath}: error DOP041: {error}");
        return 1;
    }

    if (document.SpecHash != hash)
    {
        Console.Error.WriteLine($"{spec}: warning DOP040: the committed policy {policyPath} was made for another model/spec (hash {document.SpecHash[..8]} vs {hash[..8]})");
    }

    RepeatWarnings(document);
    return 0;
}

var outPath = Option("--out")!;
if (Key("fake_error", out var errorLine) is { } message)
{
    Console.Error.WriteLine($"{spec}({errorLine + 1},13): error DOP023: {message}");
    return 1;
}

if (Key("fake_crash", out _) == "true")
{
    Console.Error.WriteLine("dop: [1/3] loading model");
    throw new InvalidOperationException("fake crash in the search");
}

if (Key("fake_exit", out _) is { } exitCode)
{
    Console.Out.WriteLine("some unstructured output");
    return int.Parse(exitCode);
}

if (File.Exists(outPath) && PolicySchema.TryParse(File.ReadAllBytes(outPath), out _) is { } existing && existing.SpecHash == hash)
{
    Console.Error.WriteLine("dop: policy is up to date");
    RepeatWarnings(existing);
    if (Option("--trimmed-out") is { } upToDateTrimmed)
    {
        WriteTrimmed(upToDateTrimmed, hash);
    }

    Console.Error.WriteLine("dop-result: up-to-date");
    return 0;
}

Console.Error.WriteLine("dop: [1/2] curve attention/image: depth 1 (ETA 00:01)");
if (Key("fake_sleep_ms", out _) is { } sleep)
{
    Thread.Sleep(int.Parse(sleep));
}

Console.Error.WriteLine("dop: [2/2] curve mlp/image: depth 1 (ETA 00:00)");
List<PolicyWarning>? warnings = null;
if (Key("fake_warning", out _) is { } fakeWarning)
{
    var space = fakeWarning.IndexOf(' ');
    warnings = [new PolicyWarning { Code = fakeWarning[..space], Message = fakeWarning[(space + 1)..] }];
    Console.Error.WriteLine($"{spec}: warning {warnings[0].Code}: {warnings[0].Message}");
}

var stem = Path.GetFileName(spec).Replace(".yaml", "", StringComparison.Ordinal);
var defaultClass = string.Concat(stem.Split('.', '-', '_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
Console.Out.WriteLine("an unstructured stdout line");
var policy = new PolicyDocument
{
    SchemaVersion = PolicySchema.Version,
    ToolVersion = "fake",
    SpecHash = hash,
    Model = new PolicyModel { Name = "fake", Hash = "0", ModelType = "llava", NumLayers = 1, HiddenSize = 8, IntermediateSize = 16, NumHeads = 1, NumKeyValueHeads = 1, ImageTokens = 4, ImageTokenId = 3 },
    Layers = { new PolicyLayer { Layer = 0, Attention = { "system", "image", "text" }, Mlp = { "system", "text" } } },
    Budget = new PolicyBudget { Kind = "fraction", Asked = double.Parse(Option("--budget") ?? "0.5", System.Globalization.CultureInfo.InvariantCulture) },
    Output = new PolicyOutput { ClassName = Key("fake_class", out _) ?? defaultClass, Namespace = Key("fake_namespace", out _) ?? "DopGenerated" },
    Warnings = warnings,
};
PolicySchema.WriteAtomically(outPath, policy);
Console.Error.WriteLine($"dop: wrote {outPath}");
if (Option("--trimmed-out") is { } trimmed)
{
    WriteTrimmed(trimmed, hash);
}

Console.Error.WriteLine("dop-result: written");
return 0;
