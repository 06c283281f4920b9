using Sift.Server.Caching;
using Sift.Server.Hosting;

namespace Sift.Tests.Server;

/// <summary>
/// The in-process cache is bounded in bytes, not entries: a search entry can hold many long chunks,
/// thousands of times an embedding. A result larger than --cache-max-entry is answered but not cached.
/// </summary>
public sealed class SearchCacheBoundsTests
{
    private const long MaxBytes = 24 << 10;
    private const long MaxEntryBytes = 2 << 10;

    /// <summary>Five chunks of about 600 characters each: one serializes to well under 2 KiB, five to well over.</summary>
    private static readonly (string Id, string Text)[] LongCorpus = Enumerable.Range(0, 5)
        .Select(i => ($"long-{i}", string.Join(' ', Enumerable.Repeat($"Beijing is the capital of China, paragraph {i}.", 14))))
        .ToArray();

    private static ServerOptions SmallCache() => new() { Cache = new CacheOptions { Size = 1000 }.WithBytes(MaxBytes, MaxEntryBytes) };

    [Fact]
    public async Task ManyDistinctSearches_KeepTheCacheWithinItsBytes()
    {
        await using var server = await TestServer.StartAsync(SmallCache());
        var name = await SearchServer.NewCollectionAsync(server);
        await SearchServer.UpsertAsync(server, name, LongCorpus);

        var cached = 0;
        for (var i = 0; i < 24; i++)
        {
            var body = new { query = $"capital of China, question {i}", top_k = 10, top_n = 1, rerank = false };
            await SearchServer.SearchAsync(server, name, body);
            cached += (await SearchServer.SearchAsync(server, name, body)).Cache == "hit" ? 1 : 0;
            var bytes = await Metrics.ReadAsync(server, "sift_cache_bytes");
            Assert.True(bytes <= MaxBytes, $"{bytes} bytes cached after search {i}, over the {MaxBytes}-byte bound");
        }
        // Each entry takes at least a kilobyte charged, so 24 of them cannot all be held; most were cached when asked again.
        Assert.True(await Metrics.ReadAsync(server, "sift_cache_entries") < 24);
        Assert.True(cached >= 12, $"only {cached} of 24 searches were hits when repeated at once");
    }

    [Fact]
    public async Task SearchLargerThanTheEntryCap_IsAnsweredButNeverCached_AndCounted()
    {
        await using var server = await TestServer.StartAsync(SmallCache());
        var name = await SearchServer.NewCollectionAsync(server);
        await SearchServer.UpsertAsync(server, name, LongCorpus);
        var large = new { query = "capital of China", top_k = 10, top_n = 5, rerank = false };
        var oversizeBefore = await Metrics.ReadAsync(server, "sift_cache_oversize_total{kind=\"search\"}");

        var first = await SearchServer.SearchAsync(server, name, large);
        var second = await SearchServer.SearchAsync(server, name, large);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(first.Body) > MaxEntryBytes);
        Assert.Equal(("miss", "miss"), (first.Cache, second.Cache));
        Assert.Equal(SearchServer.WithoutTimings(first.Body), SearchServer.WithoutTimings(second.Body));
        Assert.Equal(oversizeBefore + 2, await Metrics.ReadAsync(server, "sift_cache_oversize_total{kind=\"search\"}"));
        // A small result of the same collection is still cached.
        var small = new { query = "capital of China", top_k = 10, top_n = 1, rerank = false };
        await SearchServer.SearchAsync(server, name, small);
        Assert.Equal("hit", (await SearchServer.SearchAsync(server, name, small)).Cache);
    }

    [Fact]
    public void EntryCapLargerThanTheCache_IsRefusedWithBothValues()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CacheOptions().WithBytes(64 << 10, 64 << 10));
        Assert.Contains("--cache-memory 65536 bytes", error.Message);
        Assert.Contains("--cache-max-entry 65536 bytes", error.Message);
    }
}
