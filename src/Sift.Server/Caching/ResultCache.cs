using System.Diagnostics;
using Microsoft.Extensions.Caching.Hybrid;
using Sift.Server.Metrics;

namespace Sift.Server.Caching;

/// <summary>
/// Looks up and stores many results at once over HybridCache (in process, then Redis when
/// configured). A request's inputs are looked up together, only the misses are computed, and
/// they are stored together; nothing here ever fails a request: a cache fault is a miss. A single
/// result can instead be computed once for every concurrent request of its key (<see cref="GetOrComputeAsync"/>).
/// </summary>
internal sealed partial class ResultCache(HybridCache cache, CacheOptions options, ServerMetrics metrics, ILogger<ResultCache> logger)
{
    /// <summary>A pure lookup: on a miss HybridCache returns null instead of computing (the caller computes misses in one batch).</summary>
    private static readonly HybridCacheEntryOptions Lookup = new() { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

    private readonly HybridCacheEntryOptions _store = new() { Expiration = options.Ttl, LocalCacheExpiration = options.Ttl };

    /// <summary>
    /// A shared computation's entry: it reads the in-process level again (an entry stored since the
    /// caller's lookup is used), not Redis, which the lookup has just read.
    /// </summary>
    private readonly HybridCacheEntryOptions _compute = new()
    {
        Expiration = options.Ttl, LocalCacheExpiration = options.Ttl, Flags = HybridCacheEntryFlags.DisableDistributedCacheRead,
    };

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

    /// <summary>
    /// The cached value of <paramref name="key"/>, else one computation shared by every concurrent
    /// caller of the key in this process (HybridCache's stampede protection): the first caller's
    /// <paramref name="compute"/> runs, the others wait for its result. A caller that is cancelled
    /// leaves alone; the computation's token is cancelled only when every caller has left. A failure
    /// reaches every waiter and is not cached; nor is a value <paramref name="keep"/> refuses, which
    /// every waiter still gets (the next caller computes again). The lookup is counted as a hit or a
    /// miss; a miss answered by another caller's computation also in sift_cache_shared_total.
    /// </summary>
    public async Task<(T Value, CacheOutcome Outcome)> GetOrComputeAsync<T>(string kind, string key, Func<CancellationToken, Task<T>> compute,
        Func<T, bool> keep, CancellationToken cancellationToken) where T : class
    {
        if ((await GetAsync<T>(kind, [key], cancellationToken))[0] is { } hit)
        {
            return (hit, CacheOutcome.Hit);
        }
        var flight = new Flight<T>(compute, keep, Activity.Current);
        T value;
        try
        {
            value = await cache.GetOrCreateAsync(key, flight, static (flight, token) => new ValueTask<T>(flight.RunAsync(token)), _compute, null, cancellationToken);
        }
        catch (NotKeptException e) when (e.Value is T notKept)
        {
            value = notKept;
        }
        catch (Exception e) when (flight.Ran && flight.Value is { } computed && e is not OperationCanceledException)
        {
            // A fault of the cache after this caller's own computation succeeded: its result stands
            // (a waiter has no value of its own, and gets the fault, as any request gets an error).
            metrics.RecordCacheError("write", "other");
            LogFault(logger, e, "write");
            return (computed, CacheOutcome.Computed);
        }
        if (!flight.Ran)
        {
            metrics.RecordCacheShared(kind);
        }
        return (value, flight.Ran ? CacheOutcome.Computed : CacheOutcome.Shared);
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

    /// <summary>One caller's computation, which HybridCache runs only for the first caller of a key.</summary>
    private sealed class Flight<T>(Func<CancellationToken, Task<T>> compute, Func<T, bool> keep, Activity? requestSpan) where T : class
    {
        /// <summary>Whether this caller's computation ran (read after the shared task completed, which orders it).</summary>
        public bool Ran { get; private set; }

        /// <summary>What this caller's computation returned (null until it has, or if it failed).</summary>
        public T? Value { get; private set; }

        public async Task<T> RunAsync(CancellationToken sharedToken)
        {
            Ran = true;
            // HybridCache runs a cancellable caller's computation on the thread pool without its execution
            // context: the stages' spans would lose their request. This method's own context is the one changed.
            Activity.Current ??= requestSpan;
            var value = await compute(sharedToken);
            Value = value;
            // Thrown, HybridCache hands it to every waiter and stores nothing.
            return keep(value) ? value : throw new NotKeptException(value);
        }
    }

    /// <summary>Carries a computed value that must not be cached past HybridCache to every waiter.</summary>
    private sealed class NotKeptException(object value) : Exception("a computed result that is not cached")
    {
        public object Value { get; } = value;
    }

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "cache {Operation} failed; the request computes instead")]
    private static partial void LogFault(ILogger logger, Exception exception, string operation);
}
