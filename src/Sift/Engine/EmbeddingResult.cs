namespace Sift.Engine;

/// <summary>One embedding and the number of tokens the model read for it (end-of-text included, every window's).</summary>
/// <param name="Vector">The embedding.</param>
/// <param name="TokenCount">Tokens the model read: the sequence's, or the sum over its windows.</param>
/// <param name="Windows">Each window's own embedding and span, when windows were asked for; null otherwise.</param>
public sealed record EmbeddingResult(float[] Vector, int TokenCount, IReadOnlyList<EmbeddingWindow>? Windows = null);
