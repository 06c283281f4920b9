namespace Sift.Engine;

/// <summary>One embedding and the number of tokens the model read for it (end-of-text included).</summary>
public sealed record EmbeddingResult(float[] Vector, int TokenCount);
