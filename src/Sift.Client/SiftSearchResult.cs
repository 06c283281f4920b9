namespace Sift.Client;

/// <summary>One document found by a search, with its best chunk.</summary>
/// <param name="Id">The document's id.</param>
/// <param name="Score">The rerank score when reranked, else the vector score.</param>
/// <param name="VectorScore">The best chunk's cosine similarity to the query.</param>
/// <param name="ChunkIndex">The best chunk's position in the document.</param>
/// <param name="ChunkText">The best chunk's text.</param>
/// <param name="Metadata">The document's metadata.</param>
public sealed record SiftSearchResult(string Id, double Score, double VectorScore, int ChunkIndex, string ChunkText, IReadOnlyDictionary<string, object> Metadata);
