using Sift.Engine;
using Sift.Server.Hosting;
using Sift.Server.Routes;

namespace Sift.Server.Alerts;

/// <summary>
/// The rerank routes' service with the low-confidence check after it. An answer wholly from the
/// cache (X-Sift-Cache: hit) is checked and counted, but not queued or posted again.
/// </summary>
internal sealed class LowConfidenceRerankService(IRerankService inner, LowConfidenceMonitor monitor) : IRerankService
{
    public async Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, LongDocumentPolicy policy, string documentsField, HttpContext context)
    {
        var result = await inner.RerankAsync(model, query, documents, instruction, policy, documentsField, context);
        await monitor.CheckAsync(model.Name, null, query, result.Scores.Select(s => (double)s.Score).ToArray(),
            () => Reranker.Rank(result.Scores).Select(s => new RankedItem(s.Index, null, s.Score, documents[s.Index])),
            cached: context.Response.Headers[Caching.CacheStatus.Header] == "hit", context.RequestAborted);
        return result;
    }
}
