using Microsoft.Extensions.AI;
using Sift.Abstractions;

namespace Sift.Client;

/// <summary>What <see cref="SiftReranker"/> does beyond calling the server: its fallback and its low-confidence check.</summary>
public sealed record SiftRerankerOptions
{
    /// <summary>
    /// When set, a rerank call that still fails after its retries (the server down, overloaded,
    /// failing, or the circuit open; never a 4xx about the request) ranks the documents by cosine
    /// similarity of their embeddings to the query's instead, each result marked
    /// <see cref="RerankResult.IsFallback"/>. Queries are embedded with AdditionalProperties
    /// "input_type" = "query" (and the task as "instruction"), documents with "document".
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Fallback { get; init; }

    /// <summary>Called after each reranked (not fallback) answer whose scores meet <see cref="LowConfidenceRule"/>.</summary>
    public Action<LowConfidenceAlert>? OnLowConfidence { get; init; }

    /// <summary>When an answer counts as low-confidence; read over the scores returned (all documents unless TopN).</summary>
    public LowConfidenceRule LowConfidenceRule { get; init; } = LowConfidenceRule.Default;
}
