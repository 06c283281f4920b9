namespace Sift.Client;

/// <summary>What a search returned.</summary>
/// <param name="Results">The best documents, best first.</param>
/// <param name="Reranked">Whether the reranker ordered them.</param>
/// <param name="TotalTokens">Tokens the models read (query embedding and reranking).</param>
/// <param name="TimingsMs">Milliseconds per stage: embed, vector, rerank, total.</param>
public sealed record SiftSearchResponse(IReadOnlyList<SiftSearchResult> Results, bool Reranked, int TotalTokens, IReadOnlyDictionary<string, double> TimingsMs);
