namespace DopCompiler.Model.Checkpoints;

/// <summary>What <see cref="TrimmedCheckpoint.Write"/> did: the tensors kept and left out, and the weight file sizes.</summary>
public sealed record TrimResult(bool UpToDate, IReadOnlyList<string> Kept, IReadOnlyList<string> LeftOut, long SourceBytes, long TrimmedBytes);
