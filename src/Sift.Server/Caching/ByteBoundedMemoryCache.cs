using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;
using Sift.Server.Hosting;

namespace Sift.Server.Caching;

/// <summary>
/// The in-process level of the cache, bounded in bytes (--cache-memory, or the memory plan's share)
/// and, through a floor on each entry's charge, in entries (--cache-size). HybridCache sizes each
/// entry by its serialized length; an entry it could not serialize within --cache-max-entry (its
/// MaximumPayloadBytes) comes without a size and is refused here, so no entry larger than the cap
/// is ever held (nor written to Redis, which HybridCache skips for it too). Past the bound
/// MemoryCache drops the new entry and compacts in the background, oldest access first, a tenth of
/// the bytes at a time, so the bound holds and the hottest entries stay.
/// </summary>
internal sealed class ByteBoundedMemoryCache : IMemoryCache
{
    /// <summary>Room made per compaction: a tenth keeps compactions rare without emptying much of a hot cache.</summary>
    private const double CompactionShare = 0.1;

    private readonly MemoryCache _cache;
    private readonly long _floor;
    private readonly Action<string> _refused;

    /// <param name="options">The bounds: <see cref="CacheOptions.MaxBytes"/> and <see cref="CacheOptions.Size"/> entries.</param>
    /// <param name="refused">Called with the kind ("search", ...) of each entry refused for its size.</param>
    public ByteBoundedMemoryCache(CacheOptions options, Action<string> refused)
    {
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MaxBytes, CompactionPercentage = CompactionShare, TrackStatistics = true });
        // Charging each entry at least this much keeps the count at most --cache-size.
        _floor = Math.Max(MemoryPlan.CacheEntryOverheadBytes, options.MaxBytes / options.Size);
        _refused = refused;
    }

    /// <summary>Entries held now.</summary>
    public int Count => _cache.Count;

    /// <summary>Bytes the held entries are charged (at most <see cref="CacheOptions.MaxBytes"/>).</summary>
    public long Bytes => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>
    /// What an entry of <paramref name="kind"/> serialized to <paramref name="serializedBytes"/> costs
    /// in memory: a search is kept as objects whose UTF-16 strings take up to twice their UTF-8 bytes
    /// (non-ASCII text is escaped, so it takes more bytes serialized than in memory); an embedding's
    /// or a score's floats take what they serialize to. Plus the key and bookkeeping.
    /// </summary>
    public static long Charge(string kind, long serializedBytes) =>
        (kind == Retrieval.CollectionSearch.Kind ? 2 : 1) * serializedBytes + MemoryPlan.CacheEntryOverheadBytes;

    public ICacheEntry CreateEntry(object key) => new ChargedEntry(this, _cache.CreateEntry(key));

    public void Remove(object key) => _cache.Remove(key);

    public bool TryGetValue(object key, out object? value) => _cache.TryGetValue(key, out value);

    public void Dispose() => _cache.Dispose();

    /// <summary>"search" from "sift:v1:search:…" (the key's kind, <see cref="CacheKey"/>).</summary>
    private static string KindOf(object key) => key is string text && text.Split(':', 4) is [_, _, var kind, _] ? kind : "other";

    /// <summary>An entry charged by its size in memory, and not stored at all when it came without one.</summary>
    private sealed class ChargedEntry(ByteBoundedMemoryCache owner, ICacheEntry entry) : ICacheEntry
    {
        private long? _serializedBytes;

        public object Key => entry.Key;

        public object? Value { get => entry.Value; set => entry.Value = value; }

        public DateTimeOffset? AbsoluteExpiration { get => entry.AbsoluteExpiration; set => entry.AbsoluteExpiration = value; }

        public TimeSpan? AbsoluteExpirationRelativeToNow
        {
            get => entry.AbsoluteExpirationRelativeToNow;
            set => entry.AbsoluteExpirationRelativeToNow = value;
        }

        public TimeSpan? SlidingExpiration { get => entry.SlidingExpiration; set => entry.SlidingExpiration = value; }

        public IList<IChangeToken> ExpirationTokens => entry.ExpirationTokens;

        public IList<PostEvictionCallbackRegistration> PostEvictionCallbacks => entry.PostEvictionCallbacks;

        public CacheItemPriority Priority { get => entry.Priority; set => entry.Priority = value; }

        /// <summary>Set by HybridCache to the serialized length; what the entry is charged is derived from it.</summary>
        public long? Size
        {
            get => _serializedBytes;
            set => _serializedBytes = value;
        }

        /// <summary>Commits the entry (MemoryCache stores on dispose), unless it has no size: then it was over the cap.</summary>
        public void Dispose()
        {
            var kind = KindOf(entry.Key);
            if (_serializedBytes is not { } bytes || bytes <= 0)
            {
                owner._refused(kind);
                return;
            }
            entry.Size = Math.Max(owner._floor, Charge(kind, bytes));
            entry.Dispose();
        }
    }
}
