using System.Diagnostics;
using Sift.Retrieval;
using Sift.Server.Alerts;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Server.Metrics;

namespace Sift.Server.Retrieval;

/// <summary>
/// A collection search as the route runs it: looked up in the result cache first (keyed by the
/// collection's write version, so any upsert or delete makes its entries unreachable), else run by
/// the pipeline and cached unless it fell back for an outage (a server without a reranker answers
/// every search in first-stage order, which is cached like any other answer). Concurrent identical
/// searches that miss share one computation (X-Sift-Cache: "miss" for the request that ran it,
/// "shared" for the others, which report no stage timings, only their own total); outage fallbacks
/// counted in sift_search_fallback_total; a reranked result checked by the low-confidence rule,
/// a cached one only counted (it was reported when computed).
/// </summary>
internal sealed class CollectionSearch(RetrievalHost host, ModelRegistry registry, ServerMetrics metrics, LowConfidenceMonitor monitor,
    ResultCache? cache = null, ModelIdentities? models = null)
{
    public const string Kind = "search";

    /// <summary>Searches <paramref name="collection"/> (looked up by the caller, with its write version) and sets X-Sift-Cache when the cache is on.</summary>
    public async Task<SearchResponse> SearchAsync(CollectionInfo collection, SearchRequest request, HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var pipeline = host.PipelineFor(collection);
        var key = cache is null ? null : KeyOf(collection, request);
        SearchResponse response;
        var outcome = CacheOutcome.Computed;
        if (key is null)
        {
            response = await pipeline.SearchAsync(collection, request, context.RequestAborted);
            if (cache is not null)
            {
                CacheStatus.Write(context, CacheOutcome.Computed);
            }
        }
        else
        {
            // Concurrent identical searches share one computation; only the caller that ran it has its stage timings.
            SearchResponse? computed = null;
            (var entry, outcome) = await cache!.GetOrComputeAsync(Kind, key, async token =>
                {
                    computed = await pipeline.SearchAsync(collection, request, token);
                    // Checked inside the shared computation, which runs on when the caller that started it
                    // leaves: its low-confidence report is made once even then (every other caller is "cached").
                    await CheckConfidenceAsync(collection, request, computed, cached: false, token);
                    return new CachedSearch(computed);
                },
                entry => entry.Response.FallbackReason is null or FallbackReason.NoReranker, context.RequestAborted);
            // A hit, or a search another request computed: no stage ran for this one, the total is its own wait.
            response = outcome == CacheOutcome.Computed ? computed! : entry.Answer(clock.Elapsed.TotalMilliseconds);
            CacheStatus.Write(context, outcome);
        }
        var cached = outcome != CacheOutcome.Computed;
        // No reranker is how this server is configured, not an outage: the response says so, the metric (an alert's input) does not.
        if (response.FallbackReason is { } reason && reason != FallbackReason.NoReranker)
        {
            metrics.RecordSearchFallback(collection.Name, reason);
        }
        if (key is null || cached)
        {
            await CheckConfidenceAsync(collection, request, response, cached, context.RequestAborted);
        }
        return response;
    }

    /// <summary>The low-confidence rule on a reranked result (reported when computed, counted when served from the cache).</summary>
    private Task CheckConfidenceAsync(CollectionInfo collection, SearchRequest request, SearchResponse response, bool cached, CancellationToken cancellationToken)
    {
        if (!response.Reranked)
        {
            return Task.CompletedTask;
        }
        var results = response.Results;
        return monitor.CheckAsync(registry.RerankerName, collection.Name, request.Query, results.Select(r => (double)r.Score).ToArray(),
            () => results.Select(r => new RankedItem(null, r.DocumentId, r.Score, r.ChunkText)), cached, cancellationToken);
    }

    /// <summary>
    /// Everything the result depends on: the collection as it is now (name, creation time, so a
    /// re-created collection of the same name never reads the old one's entries, and write version),
    /// the models' fingerprints and longest inputs (a prompt is cut to the reranker's), and every
    /// request field that changes the answer, and a reranked search's own rerank timeout: the key is also what
    /// concurrent searches share one computation by, and that computation waits for the reranker as
    /// long as its first caller allows. Null (not cached) while a fingerprint the answer depends on is not known.
    /// </summary>
    private string? KeyOf(CollectionInfo collection, SearchRequest request)
    {
        if (models!.EmbeddingIdentity is not { } embedding)
        {
            return null;
        }
        var rerank = request.Rerank && registry.HasReranker;
        var reranker = rerank ? models.RerankerIdentity : null;
        if (rerank && reranker is null)
        {
            return null;
        }
        using var key = new CacheKey(Kind);
        key.Add(collection.Name).Add(collection.CreatedAt.UtcTicks).Add(collection.WriteVersion).Add(collection.Settings.Model).Add(collection.Settings.Dimensions)
            .Add(embedding.Fingerprint).Add(embedding.MaxLength).Add(reranker?.Fingerprint).Add(reranker?.MaxLength ?? -1)
            .Add(request.Query).Add(request.Instruction).Add(request.TopK).Add(request.TopN).Add(DocumentMetadata.ToJson(request.Filter))
            // Asked and done are both in the key: without a reranker, "rerank": true answers with fallback_reason "no_reranker" and false does not.
            .Add(request.Hybrid ?? collection.Settings.Hybrid).Add(request.Rerank).Add(rerank).Add(request.RerankTop ?? -1).Add(request.RerankInstruction)
            .Add(rerank && request.RerankTimeout is { } timeout ? timeout.Ticks : -1);
        return key.ToString();
    }
}
