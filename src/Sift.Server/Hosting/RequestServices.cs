using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Sift.Server.Alerts;
using Sift.Server.Caching;
using Sift.Server.Metrics;
using Sift.Server.Routes;

namespace Sift.Server.Hosting;

/// <summary>
/// Composes what the model routes call: the embedding and rerank services, wrapped by the cache
/// (--cache) and the low-confidence check, each its own decorator, and the analysis queue and
/// webhook behind the check.
/// </summary>
internal static class RequestServices
{
    public static void Add(IServiceCollection services, ServerOptions options)
    {
        options.LowConfidence.Rule.Validate();
        services.AddSingleton<EmbeddingService>();
        services.AddSingleton<RerankService>();
        var cache = options.Cache;
        if (cache.Enabled)
        {
            AddCache(services, cache);
        }
        services.AddSingleton<IEmbeddingService>(provider => cache.Enabled
            ? new CachingEmbeddingService(provider.GetRequiredService<EmbeddingService>(), provider.GetRequiredService<ResultCache>(),
                provider.GetRequiredService<ModelIdentities>())
            : provider.GetRequiredService<EmbeddingService>());
        services.AddSingleton<IRerankService>(provider =>
        {
            IRerankService service = cache.Enabled
                ? new CachingRerankService(provider.GetRequiredService<RerankService>(), provider.GetRequiredService<ResultCache>(),
                    provider.GetRequiredService<ModelIdentities>())
                : provider.GetRequiredService<RerankService>();
            return new LowConfidenceRerankService(service, provider.GetRequiredService<LowConfidenceMonitor>());
        });
        AddAlerts(services, options);
        services.AddSingleton(provider => new Retrieval.CollectionSearch(provider.GetRequiredService<Retrieval.RetrievalHost>(),
            provider.GetRequiredService<ModelRegistry>(), provider.GetRequiredService<ServerMetrics>(), provider.GetRequiredService<LowConfidenceMonitor>(),
            cache.Enabled ? provider.GetRequiredService<ResultCache>() : null, cache.Enabled ? provider.GetRequiredService<ModelIdentities>() : null));
    }

    /// <summary>Maps the routes of these services and starts what should not wait for the first request (the Redis connection).</summary>
    public static void Map(WebApplication app)
    {
        LowConfidenceRoutes.Map(app);
        app.Services.GetService<RedisConnection>();
        if (app.Services.GetService<IMemoryCache>() is ByteBoundedMemoryCache memory)
        {
            app.Services.GetRequiredService<ServerMetrics>().ObserveCache(() => memory.Count, () => memory.Bytes);
        }
    }

    private static void AddCache(IServiceCollection services, CacheOptions cache)
    {
        services.AddSingleton(cache);
        services.AddSingleton<IMemoryCache>(provider => new ByteBoundedMemoryCache(cache, provider.GetRequiredService<ServerMetrics>().RecordCacheOversize));
        if (cache.Backend == CacheBackend.Redis)
        {
            services.AddSingleton<RedisConnection>();
            services.AddSingleton<RedisGuard>();
            services.AddSingleton<IDistributedCache>(provider =>
            {
                var connection = provider.GetRequiredService<RedisConnection>();
                var redis = new RedisCache(Microsoft.Extensions.Options.Options.Create(new RedisCacheOptions
                {
                    ConnectionMultiplexerFactory = connection.GetAsync,
                }));
                return new GuardedDistributedCache(redis, provider.GetRequiredService<RedisGuard>());
            });
        }
        services.AddHybridCache(hybrid =>
            {
                hybrid.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = cache.Ttl, LocalCacheExpiration = cache.Ttl };
                // A result that serializes to more is neither written to Redis nor sized, so the memory cache refuses it.
                hybrid.MaximumPayloadBytes = cache.MaxEntryBytes;
            })
            .AddSerializer<CachedEmbedding, CachedEmbeddingSerializer>()
            .AddSerializer<CachedScore, CachedScoreSerializer>()
            .AddSerializer<CachedSearch, CachedSearchSerializer>();
        services.AddSingleton<ResultCache>();
        services.AddSingleton<ModelIdentities>();
    }

    private static void AddAlerts(IServiceCollection services, ServerOptions options)
    {
        var alerts = options.LowConfidence;
        services.AddSingleton(alerts);
        if (options.Cache.Backend == CacheBackend.Redis)
        {
            services.AddSingleton<ILowConfidenceStore, RedisLowConfidenceStore>();
        }
        else
        {
            services.AddSingleton<ILowConfidenceStore, DataStoreLowConfidenceStore>();
        }
        if (alerts.Webhook is not null)
        {
            services.AddSingleton<AlertWebhook>();
            services.AddHostedService(provider => provider.GetRequiredService<AlertWebhook>());
        }
        services.AddSingleton(provider => new LowConfidenceMonitor(options, provider.GetRequiredService<ServerMetrics>(),
            provider.GetRequiredService<ILowConfidenceStore>(), provider.GetRequiredService<ILogger<LowConfidenceMonitor>>(), provider.GetService<AlertWebhook>()));
    }
}
