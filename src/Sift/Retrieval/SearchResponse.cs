namespace Sift.Retrieval;

/// <summary>What a search found and what it did.</summary>
/// <param name="Results">The best documents, best first.</param>
/// <param name="Reranked">Whether the reranker ordered them (false: vector or, in a hybrid search, fused order).</param>
/// <param name="Recalled">Chunks recall returned: the vector stage's, or in a hybrid search the fused list's (at most top_k).</param>
/// <param name="EmbedTokens">Tokens of the query embedding.</param>
/// <param name="RerankTokens">Tokens the reranker read.</param>
/// <param name="Timings">Time per stage.</param>
/// <param name="WriteVersion">The collection's write version the search saw.</param>
public sealed record SearchResponse(IReadOnlyList<SearchHit> Results, bool Reranked, int Recalled, int EmbedTokens, int RerankTokens,
    SearchTimings Timings, long WriteVersion)
{
    /// <summary>Whether lexical recall ran and was fused with the vector stage.</summary>
    public bool Hybrid { get; init; }

    /// <summary>
    /// Why the search was asked to rerank and did not (a <see cref="Retrieval.FallbackReason"/> value); null when it
    /// reranked, was asked not to, or recalled nothing.
    /// </summary>
    public string? FallbackReason { get; init; }

    /// <summary>
    /// This response, when it is not a fallback. For callers whose numbers mean rerank scores (an
    /// evaluation, a training export), a reranker that failed must stop them, not turn into cosines.
    /// </summary>
    /// <exception cref="InvalidOperationException">Reranking was asked and did not happen; the message names why.</exception>
    public SearchResponse RequireReranked() => FallbackReason is { } reason
        ? throw new InvalidOperationException($"the search was not reranked ({reason}; the log has the reranker's failure)")
        : this;
}
