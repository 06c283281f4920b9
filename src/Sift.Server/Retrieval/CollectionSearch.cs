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
/// the pipeline and cached unless it fell back; fallbacks counted in sift_search_fallback_total; a
/// reranked result checked by the low-confidence rule, cached or not, as /v1/rerank's are.
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
        if (key is not null && (await cache!.GetAsync<CachedSearch>(Kind, [key], context.RequestAborted))[0] is { } hit)
        {
            response = hit.Answer(clock.Elapsed.TotalMilliseconds);
            CacheStatus.Write(context, 1, 1);
        }
        else
        {
            response = await pipeline.SearchAsync(collection, request, context.RequestAborted);
            if (key is not null)
            {
                if (response.FallbackReason is null)
                {
                    await cache!.SetAsync([(key, new CachedSearch(response))]);
                }
                CacheStatus.Write(context, 0, 1);
            }
        }
        if (response.FallbackReason is { } reason)
        {
            metrics.RecordSearchFallback(collection.Name, reason);
        }
        if (response.Reranked)
        {
            var results = response.Results;
            await monitor.CheckAsync(RerankerName, collection.Name, request.Query, results.Select(r => (double)r.Score).ToArray(),
                () => results.Select(r => new RankedItem(null, r.DocumentId, r.Score, r.ChunkText)), context.RequestAborted);
        }
        return response;
    }

    private string RerankerName => registry.ServedNames.FirstOrDefault(n => n.Kind == "rerank").Name ?? "reranker";

    /// <summary>
    /// Everything the result depends on: the collection as it is now (name, creation time, so a
    /// re-created collection of the same name never reads the old one's entries, and write version),
    /// the models' fingerprints, and every request field that changes the answer. Not the timeout:
    /// only searches that did not fall back are cached.
    /// </summary>
    private string KeyOf(CollectionInfo collection, SearchRequest request)
    {
        var rerank = request.Rerank && registry.HasReranker;
        using var key = new CacheKey(Kind);
        key.Add(collection.Name).Add(collection.CreatedAt.UtcTicks).Add(collection.WriteVersion).Add(collection.Settings.Model).Add(collection.Settings.Dimensions)
            .Add(models!.Embedding).Add(rerank ? models.Reranker : null)
            .Add(request.Query).Add(request.Instruction).Add(request.TopK).Add(request.TopN).Add(DocumentMetadata.ToJson(request.Filter))
            .Add(request.Hybrid ?? collection.Settings.Hybrid).Add(rerank).Add(request.RerankTop ?? -1).Add(request.RerankInstruction);
        return key.ToString();
    }
}
