namespace Sift.Server.Caching;

/// <summary>Where the server keeps the results it has computed (--cache).</summary>
public enum CacheBackend
{
    /// <summary>No cache: every request computes.</summary>
    None,

    /// <summary>In process, bounded to --cache-size entries, least recently used out first.</summary>
    Memory,

    /// <summary>In process as with <see cref="Memory"/>, backed by a Redis server the replicas share.</summary>
    Redis,
}
