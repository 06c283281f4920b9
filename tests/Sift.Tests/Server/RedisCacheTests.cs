using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>The cache over a real Redis: shared by replicas, and a Redis that dies, hangs or is missing never fails a request.</summary>
public sealed class RedisCacheTests
{
    private const string Query = "What is the capital of China?";

    private static ServerOptions On(RedisServer redis) => new() { Cache = CacheOptions.Parse(redis.CacheSpec, 1000, TimeSpan.FromHours(1)) };

    [Fact]
    public async Task TwoServers_SharingRedis_TheSecondHitsWithTheSameBytes()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var first = await TestServer.StartAsync(On(redis));
        await using var second = await TestServer.StartAsync(On(redis));
        var body = new { query = Query, documents = new[] { "a", "Beijing is the capital.", "zzz" }, return_documents = true };

        var (computed, firstStatus) = await CacheTests.PostAsync(first, "/v1/rerank", body);
        var (shared, secondStatus) = await CacheTests.PostAsync(second, "/v1/rerank", body);
        var (embedded, _) = await CacheTests.PostAsync(first, "/v1/embeddings", new { input = new[] { "hello", "world" }, dimensions = 40 });
        var (sharedEmbedding, embeddingStatus) = await CacheTests.PostAsync(second, "/v1/embeddings", new { input = new[] { "hello", "world" }, dimensions = 40 });

        Assert.Equal(("miss", "hit", "hit"), (firstStatus, secondStatus, embeddingStatus));
        Assert.Equal(CacheTests.WithoutId(computed), CacheTests.WithoutId(shared));
        Assert.Equal(embedded, sharedEmbedding);
        Assert.Equal(5, await redis.KeyCountAsync());
        Assert.Equal(0, await Metrics.SumAsync(first, "sift_cache_errors_total"));
    }

    [Fact]
    public async Task PasswordProtectedRedis_IsReachedWithTheUrlsPassword()
    {
        await using var redis = await RedisServer.StartAsync(password: "s@cret:pw");
        await using var server = await TestServer.StartAsync(On(redis));

        await CacheTests.PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a", "Beijing is the capital." } });

        Assert.Equal(2, await redis.KeyCountAsync());
        Assert.Equal(0, await Metrics.SumAsync(server, "sift_cache_errors_total"));
    }

    [Fact]
    public async Task ValueOfAnotherFormatVersionInRedis_IsAMissAndIsReplaced()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var first = await TestServer.StartAsync(On(redis));
        await using var second = await TestServer.StartAsync(On(redis));
        var body = new { query = Query, documents = new[] { "a" } };
        var (computed, _) = await CacheTests.PostAsync(first, "/v1/rerank", body);

        // Inside HybridCache's frame our value starts with the format version, then the score's bytes: mark it as written by another version.
        using var json = System.Text.Json.JsonDocument.Parse(computed);
        var score = BitConverter.GetBytes(json.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle());
        await using var connection = await redis.ConnectAsync();
        var database = connection.GetDatabase();
        var key = (await connection.GetServer($"127.0.0.1:{redis.Port}").KeysAsync(pattern: "sift:v*:rerank:*").ToArrayAsync(TestContext.Current.CancellationToken)).Single();
        var field = (await database.HashGetAllAsync(key)).MaxBy(entry => ((byte[])entry.Value!).Length);
        var bytes = (byte[])field.Value!;
        var version = bytes.AsSpan().IndexOf(score) - 1;
        Assert.Equal(CacheKey.FormatVersion, bytes[version]);
        bytes[version] = CacheKey.FormatVersion + 1;
        await database.HashSetAsync(key, field.Name, bytes);

        var (recomputed, status) = await CacheTests.PostAsync(second, "/v1/rerank", body);

        Assert.Equal("miss", status);
        Assert.Equal(CacheTests.WithoutId(computed), CacheTests.WithoutId(recomputed));
        Assert.Equal(CacheKey.FormatVersion, ((byte[])(await database.HashGetAsync(key, field.Name))!)[version]);
    }

    [Fact]
    public async Task RedisKilledMidRun_RequestsSucceedAndErrorsAreCounted_RestartedTheHitsResume()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var first = await TestServer.StartAsync(On(redis));
        await using var second = await TestServer.StartAsync(On(redis));
        await CacheTests.PostAsync(first, "/v1/rerank", new { query = Query, documents = new[] { "before" } });

        redis.Kill();
        for (var i = 0; i < 5; i++)
        {
            var (_, status) = await CacheTests.PostAsync(first, "/v1/rerank", new { query = Query, documents = new[] { $"during {i}" } });
            Assert.Equal("miss", status);
        }
        // The first server still has what it computed in process; the second computes without Redis.
        Assert.Equal("hit", (await CacheTests.PostAsync(first, "/v1/rerank", new { query = Query, documents = new[] { "before" } })).Status);
        Assert.Equal("miss", (await CacheTests.PostAsync(second, "/v1/rerank", new { query = Query, documents = new[] { "before" } })).Status);
        Assert.True(await Metrics.SumAsync(first, "sift_cache_errors_total") >= 5);

        await redis.RestartAsync();
        var attempt = 0;
        await CacheTests.Eventually(async () =>
        {
            // A new pair each time: the first server computes it and stores it in Redis once it is back; the second finds it there.
            var documents = new[] { $"after {attempt++}" };
            await CacheTests.PostAsync(first, "/v1/rerank", new { query = Query, documents });
            return (await CacheTests.PostAsync(second, "/v1/rerank", new { query = Query, documents })).Status == "hit";
        });
    }

    [Fact]
    public async Task RedisThatDoesNotAnswer_CostsARequestAtMostItsTimeout()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await TestServer.StartAsync(On(redis));
        await CacheTests.PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "warm-up" } });

        redis.Pause();
        try
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                var (_, status) = await CacheTests.PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { $"while paused {i}" } });
                Assert.Equal("miss", status);
            }
            var elapsed = clock.Elapsed;

            // The first lookup waits its 50 ms and marks Redis as away; the next calls skip it (one probe a
            // second). Waiting on the client's own timeouts instead (found once a heartbeat, about a second)
            // would take over five seconds; the margin is for a loaded CI machine.
            Assert.True(elapsed < TimeSpan.FromSeconds(3), $"five requests took {elapsed.TotalMilliseconds:F0} ms");
            Assert.True(await Metrics.ReadAsync(server, "sift_cache_errors_total{operation=\"read\",kind=\"timeout\"}") >= 1);
            Assert.True(await Metrics.ReadAsync(server, "sift_cache_errors_total{kind=\"unavailable\"}") >= 1);
        }
        finally
        {
            redis.Resume();
        }
    }

    [Fact]
    public async Task RedisMissingAtStart_TheServerServesAndCountsIt()
    {
        await using var redis = await RedisServer.StartAsync();
        redis.Kill();
        await using var server = await TestServer.StartAsync(On(redis));

        var (_, status) = await CacheTests.PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" } });
        var (_, embeddingStatus) = await CacheTests.PostAsync(server, "/v1/embeddings", new { input = "a" });

        Assert.Equal(("miss", "miss"), (status, embeddingStatus));
        Assert.True(await Metrics.SumAsync(server, "sift_cache_errors_total") >= 2);
    }

    [Fact]
    public async Task Serve_RedisOutage_IsLoggedOnceAndItsEndOnce()
    {
        await using var redis = await RedisServer.StartAsync();
        using var server = await ServeProcess.StartAsync("--cache", redis.CacheSpec);
        async Task RerankAsync(string document)
        {
            using var response = await server.Http.PostAsJsonAsync("/v1/rerank", new { query = Query, documents = new[] { document } }, TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode);
        }

        await RerankAsync("up");
        redis.Kill();
        for (var i = 0; i < 4; i++)
        {
            await RerankAsync($"down {i}");
        }
        await redis.RestartAsync();
        var attempt = 0;
        await CacheTests.Eventually(async () =>
        {
            await RerankAsync($"back {attempt++}");
            return server.Log.Contains("answers again after", StringComparison.Ordinal);
        });

        var log = server.Log;
        Assert.True(Regex.Matches(log, "Redis at 127\\.0\\.0\\.1:\\d+ is unavailable").Count == 1, log);
        Assert.True(Regex.Matches(log, "Redis at 127\\.0\\.0\\.1:\\d+ answers again after").Count == 1, log);
    }
}
