namespace Sift.Client;

/// <summary>Options of one search; null members take the server's defaults.</summary>
public sealed record SiftSearchOptions
{
    /// <summary>The query embedding's task (default: web search).</summary>
    public string? Instruction { get; init; }

    /// <summary>Chunks the vector stage recalls (default 100).</summary>
    public int? TopK { get; init; }

    /// <summary>Documents returned (default 10).</summary>
    public int? TopN { get; init; }

    /// <summary>Metadata equality filter: string, number or bool values.</summary>
    public IReadOnlyDictionary<string, object>? Filter { get; init; }

    /// <summary>Whether to rerank (default true when the server has a reranker).</summary>
    public bool? Rerank { get; init; }

    /// <summary>Fuse keyword (lexical) recall with the vector stage (reciprocal rank fusion, k = 60); null means the collection's default.</summary>
    public bool? Hybrid { get; init; }

    /// <summary>How many recalled chunks the reranker scores (default: all).</summary>
    public int? RerankTop { get; init; }

    /// <summary>The reranker's task (default: web search).</summary>
    public string? RerankInstruction { get; init; }

    /// <summary>The most the server waits for the reranker before answering in first-stage order (<see cref="SiftSearchResponse.FallbackReason"/> "rerank_timeout"); null: the server's default.</summary>
    public TimeSpan? RerankTimeout { get; init; }
}
