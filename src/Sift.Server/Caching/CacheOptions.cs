using System.Globalization;

namespace Sift.Server.Caching;

/// <summary>The server's result cache: --cache, --cache-size, --cache-memory, --cache-max-entry, --cache-ttl.</summary>
public sealed record CacheOptions
{
    /// <summary>Where results are kept.</summary>
    public CacheBackend Backend { get; init; } = CacheBackend.Memory;

    /// <summary>With <see cref="CacheBackend.Redis"/>: "host:port".</summary>
    public string? RedisEndpoint { get; init; }

    /// <summary>With <see cref="CacheBackend.Redis"/>: the database number.</summary>
    public int RedisDatabase { get; init; }

    /// <summary>With <see cref="CacheBackend.Redis"/>: the ACL user, if any.</summary>
    public string? RedisUser { get; init; }

    /// <summary>With <see cref="CacheBackend.Redis"/>: the password (AUTH), if any.</summary>
    public string? RedisPassword { get; init; }

    /// <summary>With <see cref="CacheBackend.Redis"/>: connect over TLS (rediss://).</summary>
    public bool RedisTls { get; init; }

    /// <summary>Most entries held in process; past it the least recently used go first.</summary>
    public int Size { get; init; } = 50_000;

    /// <summary>
    /// Most bytes the in-process entries take (a search entry can be thousands of times an
    /// embedding's size, so entries alone do not bound memory). Under --max-memory, the plan's share
    /// when that is smaller.
    /// </summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>
    /// The largest result kept, serialized (HybridCache's MaximumPayloadBytes): a larger one (a search
    /// with many long chunks) is answered but not cached, and counted in sift_cache_oversize_total.
    /// </summary>
    public long MaxEntryBytes { get; init; } = 256L << 10;

    /// <summary>How long an entry lives, in process and in Redis.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The longest a request waits for Redis before it computes instead: a slow or lost Redis
    /// costs a request at most this (50 ms, the issue's bound; a loopback round trip is ~0.1 ms).
    /// </summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Whether the server caches at all.</summary>
    public bool Enabled => Backend != CacheBackend.None;

    /// <summary>
    /// Reads --cache: "memory", "none", or "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]" ("rediss://"
    /// for TLS). Errors name the value and what is accepted (never the password).
    /// </summary>
    public static CacheOptions Parse(string spec, int size, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"--cache-size must be at least 1 entry, got {size}");
        }
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"--cache-ttl must be positive, got {ttl.TotalSeconds} s");
        }
        var options = new CacheOptions { Size = size, Ttl = ttl };
        switch (spec.Trim().ToLowerInvariant())
        {
            case "memory":
                return options;
            case "none" or "off":
                return options with { Backend = CacheBackend.None };
        }
        if (!Uri.TryCreate(spec.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.Query))
        {
            throw new ArgumentException($"--cache must be \"memory\", \"none\" or \"redis://HOST:PORT[/DB]\", got \"{WithoutPassword(spec)}\"", nameof(spec));
        }
        var (user, password) = uri.UserInfo.Split(':', 2) is [var name, var secret]
            ? (name.Length > 0 ? Uri.UnescapeDataString(name) : null, Uri.UnescapeDataString(secret))
            : (null, uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : null);
        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database)))
        {
            throw new ArgumentException($"--cache {WithoutPassword(spec)}: the database must be a number, got \"{path}\"", nameof(spec));
        }
        var port = uri.IsDefaultPort ? 6379 : uri.Port;
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        return options with
        {
            Backend = CacheBackend.Redis,
            RedisEndpoint = $"{host}:{port}",
            RedisDatabase = database,
            RedisUser = user,
            RedisPassword = password,
            RedisTls = uri.Scheme == "rediss",
        };
    }

    /// <summary>The options with the byte bounds set, each checked: the largest entry must fit the in-process cache.</summary>
    public CacheOptions WithBytes(long maxBytes, long maxEntryBytes)
    {
        if (maxEntryBytes < 1 || maxEntryBytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(maxEntryBytes), maxEntryBytes,
                $"--cache-max-entry must be between 1 byte and {int.MaxValue} bytes, got {maxEntryBytes}");
        }
        var largest = ByteBoundedMemoryCache.Charge(Retrieval.CollectionSearch.Kind, maxEntryBytes);
        if (maxBytes < largest)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes,
                $"--cache-memory {maxBytes} bytes cannot hold one entry at --cache-max-entry {maxEntryBytes} bytes (a search that size takes {largest} bytes in memory)");
        }
        return this with { MaxBytes = maxBytes, MaxEntryBytes = maxEntryBytes };
    }

    /// <summary>The spec with any credentials blanked, for messages.</summary>
    private static string WithoutPassword(string spec) =>
        spec.IndexOf('@', StringComparison.Ordinal) is var at and > 0 && spec.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 && scheme < at
            ? spec[..(scheme + 3)] + "***" + spec[at..]
            : spec;

    /// <summary>How the cache is described in the log at start.</summary>
    public override string ToString() => Backend switch
    {
        CacheBackend.None => "none",
        CacheBackend.Memory => $"memory ({Size} entries, {Mib(MaxBytes)}, entries up to {MaxEntryBytes / 1024} KiB, ttl {Ttl})",
        _ => $"{(RedisTls ? "rediss" : "redis")}://{RedisEndpoint}/{RedisDatabase} (in process {Size} entries, {Mib(MaxBytes)}, entries up to {MaxEntryBytes / 1024} KiB, "
            + $"ttl {Ttl}, timeout {RedisTimeout.TotalMilliseconds} ms)",
    };

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F0} MiB";
}
