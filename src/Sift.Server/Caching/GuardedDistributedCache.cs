using Microsoft.Extensions.Caching.Distributed;

namespace Sift.Server.Caching;

/// <summary>
/// Redis as HybridCache's second level, behind <see cref="RedisGuard"/>: a read that fails or
/// times out is a miss, a write that fails is dropped, and either is counted, never thrown.
/// </summary>
internal sealed class GuardedDistributedCache(IDistributedCache redis, RedisGuard guard) : IDistributedCache
{
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        (await guard.TryAsync("read", t => redis.GetAsync(key, t), token)).Value;

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await guard.TryAsync("write", async t =>
        {
            await redis.SetAsync(key, value, options, t);
            return true;
        }, token);

    public async Task RefreshAsync(string key, CancellationToken token = default) =>
        await guard.TryAsync("write", async t =>
        {
            await redis.RefreshAsync(key, t);
            return true;
        }, token);

    public async Task RemoveAsync(string key, CancellationToken token = default) =>
        await guard.TryAsync("write", async t =>
        {
            await redis.RemoveAsync(key, t);
            return true;
        }, token);

    // HybridCache calls only the asynchronous methods; these keep the same guarantees for any other caller.
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();
}
