using System.Net;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Server.Retrieval;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>The search-result cache: hits repeat the computed bytes, any write to the collection makes its entries unreachable, fallbacks are never kept.</summary>
public sealed class SearchCacheTests
{
    private const string Query = "What is the capital of China?";

    private static readonly object Body = new { query = Query, top_k = 10, top_n = 3 };

    [Fact]
    public async Task Search_Twice_SecondIsAHitWithTheBytesOfAComputation()
    {
        await using var server = await TestServer.StartAsync();
        await using var uncached = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        var name = await SearchServer.NewCollectionAsync(server);
        await SearchServer.UpsertAsync(uncached, await CreateAsync(uncached, name), SearchServer.Corpus);
        var hitsBefore = await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"search\",result=\"hit\"}");

        var first = await SearchServer.SearchAsync(server, name, Body);
        var second = await SearchServer.SearchAsync(server, name, Body);
        var computed = await SearchServer.SearchAsync(uncached, name, Body);

        Assert.Equal(("miss", "hit", (string?)null), (first.Cache, second.Cache, computed.Cache));
        Assert.True(second.Json.GetProperty("reranked").GetBoolean());
        Assert.Equal(SearchServer.WithoutTimings(first.Body), SearchServer.WithoutTimings(second.Body));
        Assert.Equal(SearchServer.WithoutTimings(computed.Body), SearchServer.WithoutTimings(second.Body));
        Assert.Equal(0, second.Json.GetProperty("timings_ms").GetProperty("rerank").GetDouble());
        Assert.Equal(hitsBefore + 1, await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"search\",result=\"hit\"}"));
    }

    [Fact]
    public async Task Search_EveryFieldThatChangesTheAnswer_IsAnotherEntry()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        await SearchServer.SearchAsync(server, name, Body);

        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query + "?", top_k = 10, top_n = 3 })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 2 })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank = false })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, hybrid = true })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank_top = 2 })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank_instruction = "Find a city" })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, filter = new { lang = "en" } })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 9, top_n = 3 })).Cache);
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, instruction = "Find a city" })).Cache);
        // The request's deadline too: the key is also what concurrent searches share one computation by,
        // which waits for the reranker as long as its first caller allows (SearchSingleFlightTests).
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank_timeout_ms = 60_000 })).Cache);
        Assert.Equal("hit", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank_timeout_ms = 60_000 })).Cache);
    }

    [Fact]
    public async Task EqualRequests_WrittenDifferently_AreOneEntry()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var path = $"/v1/collections/{name}/search";

        async Task<string?> CacheOf(string json)
        {
            using var response = await server.PostRawAsync(path, json);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : null;
        }

        // Filter keys in another order, and a number written another way, are the same filter.
        Assert.Equal("miss", await CacheOf("""{"query": "capital", "filter": {"b": 1, "a": "x"}}"""));
        Assert.Equal("hit", await CacheOf("""{"query": "capital", "filter": {"a": "x", "b": 1.0}}"""));
        // hybrid omitted is the collection's default (false here): the same search as saying so.
        Assert.Equal("miss", await CacheOf("""{"query": "capital", "top_n": 2}"""));
        Assert.Equal("hit", await CacheOf("""{"query": "capital", "top_n": 2, "hybrid": false}"""));
        // top_k, top_n and rerank at their defaults (100, 10, true) are the same search as omitted.
        Assert.Equal("miss", await CacheOf("""{"query": "capital of"}"""));
        Assert.Equal("hit", await CacheOf("""{"query": "capital of", "top_k": 100, "top_n": 10, "rerank": true}"""));
    }

    [Fact]
    public async Task Upsert_MakesTheCollectionsEntriesUnreachable_AndTheNewDocumentIsFound()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var before = await SearchServer.SearchAsync(server, name, Body);
        Assert.Equal("hit", (await SearchServer.SearchAsync(server, name, Body)).Cache);

        await SearchServer.UpsertAsync(server, name, [("beijing-2", "What is the capital of China? Beijing is the capital of China.")]);
        var after = await SearchServer.SearchAsync(server, name, Body);
        var again = await SearchServer.SearchAsync(server, name, Body);

        Assert.Equal(("miss", "hit"), (after.Cache, again.Cache));
        Assert.DoesNotContain("beijing-2", SearchServer.Ids(before.Json));
        Assert.Contains("beijing-2", SearchServer.Ids(after.Json));
        Assert.Equal(SearchServer.WithoutTimings(after.Body), SearchServer.WithoutTimings(again.Body));
    }

    [Fact]
    public async Task DeleteDocument_OrRecreateTheCollection_MakesItsEntriesUnreachable()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var before = await SearchServer.SearchAsync(server, name, Body);
        Assert.Contains("beijing", SearchServer.Ids(before.Json));

        using (var deleted = await server.Http.DeleteAsync($"/v1/collections/{name}/documents/beijing", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
        var afterDelete = await SearchServer.SearchAsync(server, name, Body);
        Assert.Equal("miss", afterDelete.Cache);
        Assert.DoesNotContain("beijing", SearchServer.Ids(afterDelete.Json));

        // Dropped and created again under the same name, the collection starts again at write version 1 after one upsert.
        using (var dropped = await server.Http.DeleteAsync($"/v1/collections/{name}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, dropped.StatusCode);
        }
        await CreateAsync(server, name);
        await SearchServer.UpsertAsync(server, name, [("paris", "Paris is the capital and most populous city of France.")]);
        var recreated = await SearchServer.SearchAsync(server, name, Body);
        Assert.Equal("miss", recreated.Cache);
        Assert.Equal(["paris"], SearchServer.Ids(recreated.Json));
    }

    [Fact]
    public async Task Fallback_IsNeverCached_TheNextGoodSearchIs()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var host = (RetrievalHost)server.Services.GetService(typeof(RetrievalHost))!;
        host.RerankerDecorator = inner => new FaultyReranker(inner, new InvalidOperationException("the reranker broke"));

        var failed = await SearchServer.SearchAsync(server, name, Body);
        var failedAgain = await SearchServer.SearchAsync(server, name, Body);
        host.RerankerDecorator = null;
        var computed = await SearchServer.SearchAsync(server, name, Body);
        var cached = await SearchServer.SearchAsync(server, name, Body);

        Assert.Equal(("miss", "miss", "miss", "hit"), (failed.Cache, failedAgain.Cache, computed.Cache, cached.Cache));
        Assert.Equal("reranker_failed", failedAgain.Json.GetProperty("fallback_reason").GetString());
        Assert.True(cached.Json.GetProperty("reranked").GetBoolean());
        Assert.False(cached.Json.TryGetProperty("fallback_reason", out _));
    }

    [Fact]
    public async Task Redis_ARestartedServerHitsWhatItsPredecessorComputed_WithTheSameBytes()
    {
        await using var redis = await RedisServer.StartAsync();
        var data = Directory.CreateTempSubdirectory("sift-search-cache-").FullName;
        try
        {
            var options = SharedRedisAndData(redis, data);
            string name;
            (string Body, string? Cache, System.Text.Json.JsonElement Json) computed;
            await using (var first = await TestServer.StartAsync(options))
            {
                name = await SearchServer.NewCollectionAsync(first);
                computed = await SearchServer.SearchAsync(first, name, Body);
                Assert.Equal(0, await Metrics.SumAsync(first, "sift_cache_errors_total"));
            }
            // Same data directory (same collection, same write version), empty in-process cache: only Redis can answer.
            await using var second = await TestServer.StartAsync(options);
            var shared = await SearchServer.SearchAsync(second, name, Body);

            Assert.Equal(("miss", "hit"), (computed.Cache, shared.Cache));
            Assert.Equal(SearchServer.WithoutTimings(computed.Body), SearchServer.WithoutTimings(shared.Body));
            await using var connection = await redis.ConnectAsync();
            var keys = await connection.GetServer($"127.0.0.1:{redis.Port}").KeysAsync(pattern: $"sift:v{CacheKey.FormatVersion}:search:*")
                .ToArrayAsync(TestContext.Current.CancellationToken);
            Assert.Single(keys);

            await SearchServer.UpsertAsync(second, name, [("new", "Something new about the capital of China.")]);
            Assert.Equal("miss", (await SearchServer.SearchAsync(second, name, Body)).Cache);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task NoReranker_SearchesAreCached_AndAreNoFallbackInTheMetric()
    {
        // Without --reranker every search answers in first-stage order with fallback_reason "no_reranker": a
        // configuration, not an outage. Such searches were never cached, and each counted as a fallback.
        await using var server = await TestServer.StartAsync(reranker: false);
        var name = await SearchServer.NewCollectionAsync(server);
        var fallbacks = await Metrics.SumAsync(server, "sift_search_fallback_total");

        var first = await SearchServer.SearchAsync(server, name, Body);
        var second = await SearchServer.SearchAsync(server, name, Body);
        var unranked = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank = false });

        Assert.Equal(("miss", "hit", "miss"), (first.Cache, second.Cache, unranked.Cache));
        Assert.Equal(SearchServer.WithoutTimings(first.Body), SearchServer.WithoutTimings(second.Body));
        Assert.Equal("no_reranker", second.Json.GetProperty("fallback_reason").GetString());
        Assert.False(unranked.Json.TryGetProperty("fallback_reason", out _));
        Assert.Equal(SearchServer.Ids(first.Json), SearchServer.Ids(unranked.Json));
        Assert.Equal(fallbacks, await Metrics.SumAsync(server, "sift_search_fallback_total"));
    }

    [Fact]
    public async Task RerankTop_RecalledIsWhatRecallReturned_NotTheRerankCut()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        var name = await SearchServer.NewCollectionAsync(server);
        await SearchServer.UpsertAsync(server, name, Enumerable.Range(0, 7).Select(i => ($"extra-{i}", $"Another document, number {i}, about cities.")));

        var (_, _, json) = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3, rerank_top = 2 });

        Assert.True(json.GetProperty("reranked").GetBoolean());
        Assert.Equal(10, json.GetProperty("recalled").GetInt32());
    }

    [Fact]
    public async Task Redis_ARestartWithAnotherRerankerLength_IsAMiss()
    {
        // The reranker reads each prompt cut to its longest input (--max-input-length, or the memory plan's):
        // a server cutting at 64 tokens must not answer from the scores of one that read the whole chunk.
        await using var redis = await RedisServer.StartAsync();
        var data = Directory.CreateTempSubdirectory("sift-search-cache-").FullName;
        try
        {
            var options = SharedRedisAndData(redis, data);
            var longer = new { query = Query, top_k = 10, top_n = 3 };
            string name;
            await using (var first = await TestServer.StartAsync(options))
            {
                name = await SearchServer.NewCollectionAsync(first);
                await SearchServer.UpsertAsync(first, name, [("long", string.Join(' ', Enumerable.Repeat("The capital of China is Beijing.", 40)))]);
                Assert.Equal("miss", (await SearchServer.SearchAsync(first, name, longer)).Cache);
            }
            await using (var same = await TestServer.StartAsync(options))
            {
                Assert.Equal("hit", (await SearchServer.SearchAsync(same, name, longer)).Cache);
            }
            await using var shorter = await TestServer.StartAsync(options with { MaxInputLength = 64 });
            Assert.Equal("miss", (await SearchServer.SearchAsync(shorter, name, longer)).Cache);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Servers started with these share Redis and one data directory (the same collections at the same write versions).</summary>
    private static ServerOptions SharedRedisAndData(RedisServer redis, string data) => new()
    {
        Data = data,
        Cache = CacheOptions.Parse(redis.CacheSpec, 1000, TimeSpan.FromHours(1)) with { RedisTimeout = TimeSpan.FromSeconds(5) },
    };

    private static async Task<string> CreateAsync(TestServer server, string name)
    {
        using var created = await server.PostJsonAsync("/v1/collections", new { name, dimensions = 48 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return name;
    }
}
