using System.Diagnostics;
using Sift.Engine;

namespace Sift.Retrieval;

/// <summary>
/// Two-stage search as a short sequence of stages: embed the query (with its task), recall the
/// nearest chunks from the store (filtered by metadata), rerank them with the cross-encoder, and
/// assemble documents with their best chunk. Each stage is timed; stages know nothing of HTTP.
/// </summary>
/// <param name="store">Where the collection lives.</param>
/// <param name="embedder">The collection's embedding model.</param>
/// <param name="reranker">The reranker, or null when none is loaded (results are then in vector order).</param>
public sealed class SearchPipeline(IRetrievalStore store, ITextEmbedder embedder, IPassageReranker? reranker)
{
    /// <summary>Searches the named collection.</summary>
    /// <exception cref="RetrievalException">No such collection (404), another model (409), a bad request (400), the store is down (503).</exception>
    public async Task<SearchResponse> SearchAsync(string collection, SearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var info = await store.FindCollectionAsync(collection, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
        return await SearchAsync(info, request, cancellationToken);
    }

    /// <summary>
    /// Searches a collection already looked up (callers that key on <see cref="CollectionInfo.WriteVersion"/>,
    /// such as a result cache, read it once).
    /// </summary>
    public async Task<SearchResponse> SearchAsync(CollectionInfo collection, SearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        CollectionModel.Require(collection, embedder);
        var total = Stopwatch.StartNew();

        var clock = Stopwatch.StartNew();
        var query = await EmbedQueryAsync(collection, request, cancellationToken);
        var embedMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var recalled = await store.SearchAsync(collection.Name, query.Vectors[0], request.TopK, request.Filter, cancellationToken);
        var vectorMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var reranked = request.Rerank && reranker is not null && recalled.Count > 0;
        var candidates = reranked ? recalled.Take(request.RerankTop ?? request.TopK).ToArray() : recalled;
        var rerank = reranked ? await reranker!.ScoreAsync(request.Query, candidates.Select(c => c.Text).ToArray(), request.RerankInstruction, cancellationToken) : null;
        var rerankMs = reranked ? clock.Elapsed.TotalMilliseconds : 0;

        var results = Assemble(candidates, rerank?.Scores, request.TopN);
        var timings = new SearchTimings(embedMs, vectorMs, rerankMs, total.Elapsed.TotalMilliseconds);
        return new SearchResponse(results, reranked, recalled.Count, query.TokenCount, rerank?.TokenCount ?? 0, timings, collection.WriteVersion);
    }

    private Task<TextEmbeddings> EmbedQueryAsync(CollectionInfo collection, SearchRequest request, CancellationToken cancellationToken) =>
        embedder.EmbedAsync([EmbeddingInput.Query(request.Query, request.Instruction)], collection.Settings.Dimensions, cancellationToken);

    /// <summary>
    /// One result per document: its best chunk (highest rerank score when reranked, else highest
    /// vector score; the earlier-recalled chunk on a tie), documents ordered by that score, then by
    /// recall order, cut to <paramref name="topN"/>.
    /// </summary>
    internal static IReadOnlyList<SearchHit> Assemble(IReadOnlyList<ChunkMatch> candidates, float[]? rerankScores, int topN)
    {
        var best = new Dictionary<string, (int Rank, float Score)>(StringComparer.Ordinal);
        for (var rank = 0; rank < candidates.Count; rank++)
        {
            var score = rerankScores?[rank] ?? candidates[rank].Score;
            var id = candidates[rank].DocumentId;
            if (!best.TryGetValue(id, out var current) || score > current.Score)
            {
                best[id] = (rank, score);
            }
        }
        return best.Values
            .OrderByDescending(b => b.Score).ThenBy(b => b.Rank)
            .Take(topN)
            .Select(b =>
            {
                var chunk = candidates[b.Rank];
                return new SearchHit(chunk.DocumentId, b.Score, chunk.Score, chunk.ChunkIndex, chunk.Text, chunk.Metadata);
            })
            .ToArray();
    }
}
