namespace Sift.Retrieval;

/// <summary>
/// Why a search that asked for reranking returned the first stage's order instead (the response's
/// <c>fallback_reason</c>). A search that asked not to rerank (<c>"rerank": false</c>) did not fall
/// back and has none; neither has one whose recall found nothing to rerank.
/// </summary>
public static class FallbackReason
{
    /// <summary>The reranker threw: a fault in it, logged with its exception.</summary>
    public const string RerankerFailed = "reranker_failed";

    /// <summary>The server has a reranker but it is not there to serve: still loading, or being unloaded at shutdown.</summary>
    public const string RerankerNotLoaded = "reranker_not_loaded";

    /// <summary>The reranker refused the work for want of capacity (its queue is full, or memory ran out in its pass).</summary>
    public const string RerankerOverloaded = "reranker_overloaded";

    /// <summary>The reranker did not answer within the request's <c>rerank_timeout_ms</c> (or the server's --rerank-timeout).</summary>
    public const string RerankTimeout = "rerank_timeout";

    /// <summary>No reranker is configured (a server or pipeline with only an embedding model).</summary>
    public const string NoReranker = "no_reranker";

    /// <summary>Every reason, for metrics and documentation.</summary>
    public static IReadOnlyList<string> All { get; } = [RerankerFailed, RerankerNotLoaded, RerankerOverloaded, RerankTimeout, NoReranker];
}
