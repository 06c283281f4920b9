namespace Sift.Retrieval;

/// <summary>Milliseconds each stage of one search took (0 for a stage that did not run).</summary>
/// <param name="Embed">Embedding the query.</param>
/// <param name="Vector">The vector stage (nearest chunks, filter, loading their texts).</param>
/// <param name="Rerank">Reranking the recalled chunks.</param>
/// <param name="Total">The whole search, assembly included.</param>
public sealed record SearchTimings(double Embed, double Vector, double Rerank, double Total);
