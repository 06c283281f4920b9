namespace Sift.Retrieval;

/// <summary>What a search found and what it did.</summary>
/// <param name="Results">The best documents, best first.</param>
/// <param name="Reranked">Whether the reranker ordered them (false: vector order).</param>
/// <param name="Recalled">Chunks the vector stage returned.</param>
/// <param name="EmbedTokens">Tokens of the query embedding.</param>
/// <param name="RerankTokens">Tokens the reranker read.</param>
/// <param name="Timings">Time per stage.</param>
/// <param name="WriteVersion">The collection's write version the search saw.</param>
public sealed record SearchResponse(IReadOnlyList<SearchHit> Results, bool Reranked, int Recalled, int EmbedTokens, int RerankTokens,
    SearchTimings Timings, long WriteVersion);
