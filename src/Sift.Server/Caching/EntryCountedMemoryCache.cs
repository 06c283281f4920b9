using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;

namespace Sift.Server.Caching;

/// <summary>
/// The in-process level of the cache, bounded in entries (--cache-size) rather than bytes:
/// HybridCache sizes its entries by their serialized length, so each entry is counted as one here.
/// Past the bound MemoryCache drops the new entry and compacts in the background, oldest access
/// first (a tenth of the entries at a time, at least one), so the bound holds and the hottest entries stay.
/// </summary>
internal sealed class EntryCountedMemoryCache(int maxEntries) : IMemoryCache
{
    /// <summary>Room made per compaction: a tenth keeps compactions rare without emptying much of a hot cache.</summary>
    private const double CompactionShare = 0.1;

    // MemoryCache rounds the share of entries to remove down: a small cache needs a larger share to remove at least one.
    private readonly MemoryCache _cache = new(new MemoryCacheOptions
    {
        SizeLimit = maxEntries,
        CompactionPercentage = Math.Min(1, Math.Max(CompactionShare, 1.5 / maxEntries)),
    });

    /// <summary>Entries held now.</summary>
    public int Count => _cache.Count;

    public ICacheEntry CreateEntry(object key) => new CountedEntry(_cache.CreateEntry(key));

    public void Remove(object key) => _cache.Remove(key);

    public bool TryGetValue(object key, out object? value) => _cache.TryGetValue(key, out value);

    public void Dispose() => _cache.Dispose();

    /// <summary>An entry whose size is always one, whatever size its creator sets.</summary>
    private sealed class CountedEntry : ICacheEntry
    {
        private readonly ICacheEntry _entry;

        public CountedEntry(ICacheEntry entry)
        {
            _entry = entry;
            _entry.Size = 1;
        }

        public object Key => _entry.Key;

        public object? Value { get => _entry.Value; set => _entry.Value = value; }

        public DateTimeOffset? AbsoluteExpiration { get => _entry.AbsoluteExpiration; set => _entry.AbsoluteExpiration = value; }

        public TimeSpan? AbsoluteExpirationRelativeToNow
        {
            get => _entry.AbsoluteExpirationRelativeToNow;
            set => _entry.AbsoluteExpirationRelativeToNow = value;
        }

        public TimeSpan? SlidingExpiration { get => _entry.SlidingExpiration; set => _entry.SlidingExpiration = value; }

        public IList<IChangeToken> ExpirationTokens => _entry.ExpirationTokens;

        public IList<PostEvictionCallbackRegistration> PostEvictionCallbacks => _entry.PostEvictionCallbacks;

        public CacheItemPriority Priority { get => _entry.Priority; set => _entry.Priority = value; }

        public long? Size
        {
            get => _entry.Size;
            set { }
        }

        public void Dispose() => _entry.Dispose();
    }
}
