using Sift.Engine;
using Sift.Server.Hosting;
using Sift.Server.Routes;

namespace Sift.Server.Caching;

/// <summary>
/// The rerank routes' service with a cache in front, per (model, instruction, query, document)
/// pair: a request's pairs are looked up together, only the misses are scored (as one request,
/// sharing the query's prefix), and they are stored. Batching never changes a score, so a
/// partly cached request answers the same bytes as a computed one.
/// </summary>
internal sealed class CachingRerankService(RerankService inner, ResultCache cache, ModelIdentities models) : IRerankService
{
    public const string Kind = "rerank";

    public async Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, LongDocumentPolicy policy, string documentsField, HttpContext context)
    {
        if (policy.ReturnWindows)
        {
            // The cache keeps a score, not the window it came from.
            return await inner.RerankAsync(model, query, documents, instruction, policy, documentsField, context);
        }
        inner.Validate(documents, documentsField);
        var keys = documents.Select(document => KeyOf(model, query, document, instruction, policy)).ToArray();
        var cached = await cache.GetAsync<CachedScore>(Kind, keys, context.RequestAborted);
        var scores = new RerankScore[documents.Count];
        var misses = new List<int>();
        for (var i = 0; i < documents.Count; i++)
        {
            if (cached[i] is { } hit)
            {
                scores[i] = new RerankScore(i, hit.Score, hit.LogitYes, hit.LogitNo, hit.TokenCount);
            }
            else
            {
                misses.Add(i);
            }
        }
        if (misses.Count > 0)
        {
            var computed = await inner.ComputeAsync(model, query, misses.Select(i => documents[i]).ToArray(), misses, instruction, policy, documentsField, context);
            for (var k = 0; k < misses.Count; k++)
            {
                scores[misses[k]] = computed[k] with { Index = misses[k] };
            }
            await cache.SetAsync(misses.Where(i => keys[i] is not null).Select(i => (keys[i]!, new CachedScore(scores[i].Score, scores[i].LogitYes, scores[i].LogitNo, scores[i].TokenCount))));
        }
        CacheStatus.Write(context, documents.Count - misses.Count, documents.Count);
        return (scores, RerankService.Usage(model, query, instruction, policy, scores));
    }

    /// <summary>
    /// The pair, the task and what decides the prompt's length. The long-document policy is part of
    /// it: a document cut under truncation must still be refused by a request that forbids cutting,
    /// and scored by its best window in chunk mode. Null (not cached) while the model's fingerprint is
    /// not known: before it is computed, or when it could not be.
    /// </summary>
    private string? KeyOf(ServedReranker model, string query, string document, string? instruction, LongDocumentPolicy policy)
    {
        if (models.Reranker is not { } fingerprint)
        {
            return null;
        }
        using var key = new CacheKey(Kind);
        return key.Add(fingerprint).Add(instruction ?? Prompts.DefaultInstruction).Add(query).Add(document).Add(policy.Key)
            .Add(model.Reranker.MaxLength).ToString();
    }
}
