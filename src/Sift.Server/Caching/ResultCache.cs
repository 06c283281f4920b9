using Microsoft.Extensions.Caching.Hybrid;
using Sift.Server.Metrics;

namespace Sift.Server.Caching;

/// <summary>
/// Looks up and stores many results at once over HybridCache (in process, then Redis when
/// configured). A request's inputs are looked up together, only the misses are computed, and
/// they are stored together; nothing here ever fails a request: a cache fault is a miss.
/// </summary>
internal sealed partial class ResultCache(HybridCache cache, CacheOptions options, ServerMetrics metrics, ILogger<ResultCache> logger)
{
    /// <summary>A pure lookup: on a miss HybridCache returns null instead of computing (the caller computes misses in one batch).</summary>
    private static readonly HybridCacheEntryOptions Lookup = new() { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

    private readonly HybridCacheEntryOptions _store = new() { Expiration = options.Ttl, LocalCacheExpiration = options.Ttl };

    /// <summary>
    /// The cached value of each key, null where there is none. A null key (an input that is not
    /// cached) reads as a miss without a lookup (and is not counted). Hits and misses are counted under <paramref name="kind"/>.
    /// </summary>
    public async Task<T?[]> GetAsync<T>(string kind, IReadOnlyList<string?> keys, CancellationToken cancellationToken) where T : class
    {
        var lookups = new Task<T?>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            lookups[i] = keys[i] is { } key ? LookupAsync<T>(key, cancellationToken) : Task.FromResult<T?>(null);
        }
        var values = await Task.WhenAll(lookups);
        var hits = values.Count(v => v is not null);
        metrics.RecordCacheLookups(kind, hits, keys.Count(k => k is not null) - hits);
        return values;
    }

    /// <summary>Stores computed values; a failure to store is logged and counted, not thrown.</summary>
    public async Task SetAsync<T>(IEnumerable<(string Key, T Value)> entries)
    {
        // Not the request's token: a result computed for a client that left is still worth keeping.
        var writes = entries.Select(entry => StoreAsync(entry.Key, entry.Value)).ToArray();
        await Task.WhenAll(writes);
    }

    private async Task<T?> LookupAsync<T>(string key, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await cache.GetOrCreateAsync<T?>(key, static _ => ValueTask.FromResult<T?>(null), Lookup, null, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            metrics.RecordCacheError("read", "other");
            LogFault(logger, e, "read");
            return null;
        }
    }

    private async Task StoreAsync<T>(string key, T value)
    {
        try
        {
            await cache.SetAsync(key, value, _store, null, CancellationToken.None);
        }
        catch (Exception e)
        {
            metrics.RecordCacheError("write", "other");
            LogFault(logger, e, "write");
        }
    }

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "cache {Operation} failed; the request computes instead")]
    private static partial void LogFault(ILogger logger, Exception exception, string operation);
}
