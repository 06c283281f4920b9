using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sift.Engine;
using Sift.Telemetry;

namespace Sift.Retrieval;

/// <summary>
/// Two-stage search as a short sequence of stages: embed the query (with its task), recall the
/// nearest chunks from the store (filtered by metadata) and, in a hybrid search, the best keyword
/// matches too, fused by reciprocal rank fusion; rerank them with the cross-encoder, and assemble
/// documents with their best chunk. Each stage is timed and traced (<c>sift.search.embed</c>,
/// <c>.vector</c>, <c>.lexical</c>, <c>.rerank</c> spans); stages know nothing of HTTP.
/// </summary>
/// <param name="store">Where the collection lives.</param>
/// <param name="embedder">The collection's embedding model.</param>
/// <param name="reranker">The reranker, or null when there is none (results are then in first-stage order, <see cref="FallbackReason.NoReranker"/>).</param>
/// <param name="logger">Where the rerank stage logs a fallback (a failing reranker with its exception); null logs nothing.</param>
/// <param name="outage">The outage state shared by the pipelines of one server, so an outage is logged once (null: this pipeline's own).</param>
/// <remarks>
/// The rerank stage never fails a search whose first stage worked: a reranker that throws, is
/// unavailable (<see cref="RerankerUnavailableException"/>) or misses <see cref="SearchRequest.RerankTimeout"/>
/// leaves the first stage's order, with <see cref="SearchResponse.FallbackReason"/> saying why.
/// </remarks>
public sealed class SearchPipeline(IRetrievalStore store, ITextEmbedder embedder, IPassageReranker? reranker, ILogger? logger = null,
    RerankOutage? outage = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly RerankOutage _outage = outage ?? new RerankOutage();

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
        TextEmbeddings query;
        using (StageSpan("sift.search.embed", collection))
        {
            query = await EmbedQueryAsync(collection, request, cancellationToken);
        }
        var embedMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        IReadOnlyList<ChunkMatch> recalled;
        using (var span = StageSpan("sift.search.vector", collection)?.SetTag("sift.search.top_k", request.TopK).SetTag("sift.search.filter_keys", request.Filter.Count))
        {
            recalled = await store.SearchAsync(collection.Name, query.Vectors[0], request.TopK, request.Filter, cancellationToken);
            span?.SetTag("sift.search.recalled", recalled.Count);
        }
        var vectorMs = clock.Elapsed.TotalMilliseconds;

        var hybrid = request.Hybrid ?? collection.Settings.Hybrid;
        var lexicalMs = 0.0;
        IReadOnlyList<ChunkMatch> candidates = recalled;
        string[]? stages = null;
        float[]? fusedScores = null;
        if (hybrid)
        {
            clock.Restart();
            using (var span = StageSpan("sift.search.lexical", collection)?.SetTag("sift.search.top_k", request.TopK))
            {
                var lexical = await store.SearchLexicalAsync(collection.Name, request.Query, query.Vectors[0], request.TopK, request.Filter, cancellationToken);
                span?.SetTag("sift.search.matched", lexical.Count);
                (candidates, stages, fusedScores) = Fuse(recalled, lexical, request.TopK);
            }
            lexicalMs = clock.Elapsed.TotalMilliseconds;
        }

        clock.Restart();
        var recalledCandidates = candidates;
        var wantsRerank = request.Rerank && candidates.Count > 0;
        string? fallbackReason = wantsRerank && reranker is null ? Retrieval.FallbackReason.NoReranker : null;
        PassageScores? rerank = null;
        if (wantsRerank && reranker is not null)
        {
            if (request.RerankTop is { } rerankTop && rerankTop < candidates.Count)
            {
                candidates = candidates.Take(rerankTop).ToArray();
            }
            using var span = StageSpan("sift.search.rerank", collection)?.SetTag("sift.search.candidates", candidates.Count);
            (rerank, fallbackReason) = await RerankAsync(reranker, collection, request, candidates, cancellationToken);
            span?.SetTag("sift.search.fallback_reason", fallbackReason);
        }
        var reranked = rerank is not null;
        if (!reranked)
        {
            // The first stage's order, whole: a rerank_top cut only chose what the reranker would read.
            candidates = recalledCandidates;
        }
        var rerankMs = wantsRerank && reranker is not null ? clock.Elapsed.TotalMilliseconds : 0;

        var results = Assemble(candidates, rerank?.Scores ?? fusedScores, request.TopN, stages);
        var timings = new SearchTimings(embedMs, vectorMs, rerankMs, total.Elapsed.TotalMilliseconds) { Lexical = lexicalMs };
        // Recalled is what the first stage returned, reranked or not: a rerank_top cut only chose what the reranker read.
        return new SearchResponse(results, reranked, recalledCandidates.Count, query.TokenCount, rerank?.TokenCount ?? 0, timings, collection.WriteVersion)
        {
            Hybrid = hybrid,
            FallbackReason = fallbackReason,
        };
    }

    /// <summary>
    /// The rerank stage, which never fails a search whose first stage worked: the scores, or null and
    /// the <see cref="Retrieval.FallbackReason"/> when the reranker failed, is unavailable, or missed the
    /// request's deadline. Only the request's own cancellation propagates.
    /// </summary>
    private async Task<(PassageScores? Scores, string? FallbackReason)> RerankAsync(IPassageReranker reranker, CollectionInfo collection, SearchRequest request,
        IReadOnlyList<ChunkMatch> candidates, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timeout = request.RerankTimeout ?? Timeout.InfiniteTimeSpan;
        deadline.CancelAfter(timeout);
        try
        {
            // WaitAsync keeps the deadline even with a reranker that does not watch its token; the
            // token still tells a scheduled reranker to drop the work.
            var scores = await reranker.ScoreAsync(request.Query, candidates.Select(c => c.Text).ToArray(), request.RerankInstruction, deadline.Token)
                .WaitAsync(timeout, cancellationToken);
            _outage.Answered(_logger);
            return (scores, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && deadline.IsCancellationRequested))
        {
            // WaitAsync's timer may fire before the token's: cancel it here, or a scheduled reranker would compute for nobody.
            await deadline.CancelAsync();
            LogFallback(collection.Name, Retrieval.FallbackReason.RerankTimeout, $"no answer within {timeout.TotalMilliseconds} ms", null);
            return (null, Retrieval.FallbackReason.RerankTimeout);
        }
        catch (RerankerUnavailableException e)
        {
            LogFallback(collection.Name, e.Reason, e.Message, null);
            return (null, e.Reason);
        }
        catch (OutOfMemoryException e)
        {
            LogFallback(collection.Name, Retrieval.FallbackReason.RerankerOverloaded, e.Message, null);
            return (null, Retrieval.FallbackReason.RerankerOverloaded);
        }
        catch (Exception e)
        {
            // A fault in the reranker: the search still answers, and the log keeps the exception for whoever fixes it.
            LogFallback(collection.Name, Retrieval.FallbackReason.RerankerFailed, e.Message, e);
            return (null, Retrieval.FallbackReason.RerankerFailed);
        }
    }

    private void LogFallback(string collection, string reason, string detail, Exception? exception) =>
        _outage.FellBack(_logger, collection, reason, detail, exception);

    /// <summary>
    /// Reciprocal rank fusion (k = 60) of the vector and lexical lists, keyed by chunk, cut to
    /// <paramref name="topK"/>: the candidates in fused order, the stage that found each, and each one's fused score.
    /// </summary>
    internal static (ChunkMatch[] Candidates, string[] Stages, float[] Scores) Fuse(IReadOnlyList<ChunkMatch> vector, IReadOnlyList<ChunkMatch> lexical, int topK)
    {
        static (string, int) Key(ChunkMatch match) => (match.DocumentId, match.ChunkIndex);
        var byKey = new Dictionary<(string, int), ChunkMatch>();
        foreach (var match in vector.Concat(lexical))
        {
            byKey.TryAdd(Key(match), match);
        }
        var fused = Lexical.ReciprocalRankFusion.Fuse(vector.Select(Key).ToArray(), lexical.Select(Key).ToArray()).Take(topK).ToArray();
        return (fused.Select(f => byKey[f.Key]).ToArray(), fused.Select(f => f.Stage).ToArray(), fused.Select(f => (float)f.Score).ToArray());
    }

    /// <summary>A stage's span under the current one (the request's), or null when nobody listens.</summary>
    private static Activity? StageSpan(string name, CollectionInfo collection) =>
        SiftTelemetry.ActivitySource.StartActivity(name)?.SetTag("sift.collection", collection.Name);

    private async Task<TextEmbeddings> EmbedQueryAsync(CollectionInfo collection, SearchRequest request, CancellationToken cancellationToken)
    {
        var query = EmbeddingInput.Query(request.Query, request.Instruction);
        try
        {
            return await embedder.EmbedAsync([query], collection.Settings.Dimensions, cancellationToken);
        }
        catch (SiftRequestException e) when (e.Code == "input_too_long")
        {
            // The engine names "input 0" and suggests truncation, which a search cannot ask for: name the query instead.
            // Counted as far as Tokenizer.RefusalCount: a megabyte of query is named as longer without encoding all of it.
            var ids = new List<int>();
            var counted = Tokenization.Tokenizer.RefusalCount(embedder.MaxLength);
            var makes = embedder.Tokenizer.TryEncodeContent(query.PromptText!, ids, counted)
                ? $"{ids.Count + 1}"
                : $"more than {counted}";
            throw RetrievalException.BadRequest(
                $"'query' makes {makes} tokens with its instruction and <|endoftext|>; '{embedder.ModelName}' reads at most {embedder.MaxLength}: shorten it",
                "query", "query_too_long");
        }
    }

    /// <summary>
    /// One result per document: its best chunk (highest score: the rerank score when reranked, the
    /// fused score in a hybrid search, else the vector score; the earlier candidate on a tie),
    /// documents ordered by that score, then by candidate order, cut to <paramref name="topN"/>.
    /// </summary>
    internal static IReadOnlyList<SearchHit> Assemble(IReadOnlyList<ChunkMatch> candidates, float[]? scores, int topN, string[]? stages = null)
    {
        var best = new Dictionary<string, (int Rank, float Score)>(StringComparer.Ordinal);
        for (var rank = 0; rank < candidates.Count; rank++)
        {
            var score = scores?[rank] ?? candidates[rank].Score;
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
                return new SearchHit(chunk.DocumentId, b.Score, chunk.Score, chunk.ChunkIndex, chunk.Text, chunk.Metadata)
                {
                    Stage = stages?[b.Rank] ?? RecallStage.Vector,
                };
            })
            .ToArray();
    }
}
