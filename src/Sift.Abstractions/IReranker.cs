namespace Sift.Abstractions;

/// <summary>
/// Scores documents against a query (a cross-encoder reranker), the companion of
/// Microsoft.Extensions.AI's IEmbeddingGenerator: the Sift engine implements it in process and
/// Sift.Client.SiftReranker implements it over HTTP.
/// </summary>
public interface IReranker
{
    /// <summary>Scores <paramref name="documents"/> for <paramref name="query"/>; results are sorted by relevance, highest first.</summary>
    Task<IReadOnlyList<RerankResult>> RerankAsync(string query, IReadOnlyList<string> documents, RerankingOptions? options = null,
        CancellationToken cancellationToken = default);
}
