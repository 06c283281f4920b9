namespace Sift.Client;

/// <summary>What a search returned.</summary>
/// <param name="Results">The best documents, best first.</param>
/// <param name="Reranked">Whether the reranker ordered them.</param>
/// <param name="TotalTokens">Tokens the models read (query embedding and reranking).</param>
/// <param name="TimingsMs">Milliseconds per stage: embed, vector, lexical, rerank, total.</param>
public sealed record SiftSearchResponse(IReadOnlyList<SiftSearchResult> Results, bool Reranked, int TotalTokens, IReadOnlyDictionary<string, double> TimingsMs)
{
    /// <summary>Whether keyword recall was fused with the vector stage.</summary>
    public bool Hybrid { get; init; }

    /// <summary>
    /// Why the results are in first-stage order though reranking was asked: "reranker_failed", "reranker_not_loaded",
    /// "reranker_overloaded", "rerank_timeout" or "no_reranker"; null when they were reranked, or reranking was not asked.
    /// </summary>
    public string? FallbackReason { get; init; }
}
