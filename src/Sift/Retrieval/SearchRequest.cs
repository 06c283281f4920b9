namespace Sift.Retrieval;

/// <summary>One search: the query, how many chunks to recall and documents to return, a metadata filter, and the rerank settings.</summary>
public sealed record SearchRequest
{
    /// <summary>Chunks the vector stage returns unless asked otherwise.</summary>
    public const int DefaultTopK = 100;

    /// <summary>Documents a search returns unless asked otherwise.</summary>
    public const int DefaultTopN = 10;

    /// <summary>The most chunks one search may recall: each recalled chunk may be reranked, which costs a model pass.</summary>
    public const int MaxTopK = 1000;

    /// <summary>The query text.</summary>
    public required string Query { get; init; }

    /// <summary>The query embedding's task; null means the model's default web-search task.</summary>
    public string? Instruction { get; init; }

    /// <summary>Chunks the vector stage recalls (1..<see cref="MaxTopK"/>).</summary>
    public int TopK { get; init; } = DefaultTopK;

    /// <summary>Documents returned (1..<see cref="TopK"/>).</summary>
    public int TopN { get; init; } = DefaultTopN;

    /// <summary>Metadata equality filter: a chunk qualifies when its document's metadata has every key with an equal value.</summary>
    public IReadOnlyDictionary<string, MetadataValue> Filter { get; init; } = DocumentMetadata.Empty;

    /// <summary>
    /// Whether recall also takes the <see cref="TopK"/> best chunks of the lexical index and fuses both
    /// lists by reciprocal rank fusion (k = 60) before the rerank stage; null means the collection's default.
    /// </summary>
    public bool? Hybrid { get; init; }

    /// <summary>Whether to rerank (when a reranker is loaded).</summary>
    public bool Rerank { get; init; } = true;

    /// <summary>How many of the recalled chunks, best first, the reranker scores; null means all of them.</summary>
    public int? RerankTop { get; init; }

    /// <summary>The reranker's task; null means its default.</summary>
    public string? RerankInstruction { get; init; }

    /// <summary>The most this search waits for the reranker (1 ms..<see cref="MaxRerankTimeout"/>); past it the search answers in first-stage order. Null waits for it.</summary>
    public TimeSpan? RerankTimeout { get; init; }

    /// <summary>The longest <see cref="RerankTimeout"/> a request may set: ten minutes.</summary>
    public static readonly TimeSpan MaxRerankTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Checks the request against its limits.</summary>
    /// <exception cref="RetrievalException">An empty query or a count out of range (400).</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Query))
        {
            throw RetrievalException.BadRequest("'query' is empty; give the text to search for", "query");
        }
        if (TopK is < 1 or > MaxTopK)
        {
            throw RetrievalException.BadRequest($"'top_k' {TopK} is outside 1..{MaxTopK}", "top_k");
        }
        if (TopN < 1 || TopN > TopK)
        {
            throw RetrievalException.BadRequest($"'top_n' {TopN} is outside 1..{TopK} (top_n documents come from the top_k chunks)", "top_n");
        }
        if (RerankTop is { } rerankTop && (rerankTop < 1 || rerankTop > TopK))
        {
            throw RetrievalException.BadRequest($"'rerank_top' {rerankTop} is outside 1..{TopK} (the reranker scores recalled chunks)", "rerank_top");
        }
        if (RerankTimeout is { } timeout && (timeout < TimeSpan.FromMilliseconds(1) || timeout > MaxRerankTimeout))
        {
            throw RetrievalException.BadRequest(
                $"'rerank_timeout_ms' {timeout.TotalMilliseconds} is outside 1..{MaxRerankTimeout.TotalMilliseconds} (milliseconds the search waits for the reranker)",
                "rerank_timeout_ms");
        }
        foreach (var key in Filter.Keys)
        {
            DocumentMetadata.CheckKey(key, "filter");
        }
    }
}
