namespace DopCompiler.Search.Document;

/// <summary>
/// A policy file's frontier: one line per image-token count it knows the divergence of (ascending by count, the full
/// count last), and their envelope (the best over every count at each cost). <see cref="ImageTokens"/> is the full
/// count (0 without an image group).
/// </summary>
public sealed record FrontierResult(IReadOnlyList<FrontierLine> Lines, IReadOnlyList<FrontierPoint> Envelope, int ImageTokens);
