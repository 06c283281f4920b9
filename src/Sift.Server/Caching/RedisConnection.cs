using StackExchange.Redis;

namespace Sift.Server.Caching;

/// <summary>
/// The one connection to Redis that the cache and the low-confidence stream share. It connects
/// in the background when the server starts and keeps reconnecting while Redis is away, so the
/// server starts, and keeps serving, without Redis.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    /// <summary>The first connection may take this long; requests never wait for it (see <see cref="RedisGuard"/>).</summary>
    private const int ConnectTimeoutMilliseconds = 2000;

    /// <summary>While Redis is away, try to reconnect this often: a restarted Redis is used again within half a second.</summary>
    private const int ReconnectIntervalMilliseconds = 500;

    private readonly Task<ConnectionMultiplexer> _connecting;

    public RedisConnection(CacheOptions options)
    {
        var timeout = (int)Math.Ceiling(options.RedisTimeout.TotalMilliseconds);
        var configuration = new ConfigurationOptions
        {
            EndPoints = { options.RedisEndpoint! },
            DefaultDatabase = options.RedisDatabase,
            // Start (and go on) with Redis down; the multiplexer reconnects by itself.
            AbortOnConnectFail = false,
            ConnectTimeout = ConnectTimeoutMilliseconds,
            AsyncTimeout = timeout,
            SyncTimeout = timeout,
            // While disconnected, fail at once instead of queueing commands until they time out.
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new LinearRetry(ReconnectIntervalMilliseconds),
            ClientName = "sift",
            User = options.RedisUser,
            Password = options.RedisPassword,
            Ssl = options.RedisTls,
        };
        _connecting = Task.Run(() => ConnectionMultiplexer.ConnectAsync(configuration));
    }

    /// <summary>The multiplexer once the first connection attempt has ended (connected or not); null before.</summary>
    public IConnectionMultiplexer? Current => _connecting.IsCompletedSuccessfully ? _connecting.Result : null;

    /// <summary>The multiplexer, after the first connection attempt.</summary>
    public async Task<IConnectionMultiplexer> GetAsync() => await _connecting;

    /// <summary>Closes the connection, once the first attempt has ended (at most the connect timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await (await _connecting).DisposeAsync();
        }
        catch (RedisException)
        {
            // The configuration was refused before any connection existed: there is nothing to close.
        }
    }
}
