using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Client;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Server.Retrieval;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// A search whose first stage worked always answers: a reranker that fails, is not loaded, is
/// overloaded or too slow leaves the first stage's order, marked with "reranked": false and the reason.
/// </summary>
public sealed class SearchFallbackTests
{
    private const string Query = "What is the capital of China?";

    private static readonly object Body = new { query = Query, top_k = 10, top_n = 4 };

    private static readonly ServerOptions NoCache = new() { Cache = new CacheOptions { Backend = CacheBackend.None } };

    private static RetrievalHost Host(TestServer server) => (RetrievalHost)server.Services.GetService(typeof(RetrievalHost))!;

    [Theory]
    [InlineData("reranker_failed")]
    [InlineData("reranker_overloaded")]
    public async Task RerankerThatThrows_AnswersInVectorOrder_WithTheReason_AndCountsIt(string reason)
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server);
        var vectorOrder = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 4, rerank = false });
        Exception failure = reason == "reranker_failed"
            ? new InvalidOperationException("the reranker broke")
            : new OutOfMemoryException("no room for the reranker's activations");
        Host(server).RerankerDecorator = inner => new FaultyReranker(inner, failure);

        var fallback = await SearchServer.SearchAsync(server, name, Body);

        Assert.False(fallback.Json.GetProperty("reranked").GetBoolean());
        Assert.Equal(reason, fallback.Json.GetProperty("fallback_reason").GetString());
        Assert.False(vectorOrder.Json.TryGetProperty("fallback_reason", out _));
        Assert.Equal(JsonText(vectorOrder.Json.GetProperty("results")), JsonText(fallback.Json.GetProperty("results")));
        Assert.Equal(0, fallback.Json.GetProperty("usage").GetProperty("rerank_tokens").GetInt32());
        Assert.Equal(1, await Metrics.ReadAsync(server, $"sift_search_fallback_total{{collection=\"{name}\",reason=\"{reason}\"}}"));
    }

    [Fact]
    public async Task HybridSearch_FallsBackToTheFusedOrder()
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server, hybrid: true);
        var fused = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 4, rerank = false });
        Host(server).RerankerDecorator = inner => new FaultyReranker(inner, new InvalidOperationException("the reranker broke"));

        var fallback = await SearchServer.SearchAsync(server, name, Body);

        Assert.True(fallback.Json.GetProperty("hybrid").GetBoolean());
        Assert.Equal("reranker_failed", fallback.Json.GetProperty("fallback_reason").GetString());
        Assert.Equal(JsonText(fused.Json.GetProperty("results")), JsonText(fallback.Json.GetProperty("results")));
    }

    [Fact]
    public async Task SlowReranker_MissesTheRequestsDeadline_AndIsToldToStop()
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server);
        var vectorOrder = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 4, rerank = false });
        var slow = new GatedReranker();
        Host(server).RerankerDecorator = slow.Wrap;

        var clock = Stopwatch.StartNew();
        var fallback = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 4, rerank_timeout_ms = 200 });
        var elapsed = clock.Elapsed;
        slow.Open();

        Assert.Equal("rerank_timeout", fallback.Json.GetProperty("fallback_reason").GetString());
        Assert.Equal(JsonText(vectorOrder.Json.GetProperty("results")), JsonText(fallback.Json.GetProperty("results")));
        // Timers run on the millisecond tick count, so the deadline can fire a little before 200 ms of Stopwatch time.
        var waited = fallback.Json.GetProperty("timings_ms").GetProperty("rerank").GetDouble();
        Assert.True(waited >= 190, $"the rerank stage gave up after {waited} ms, before its 200 ms deadline");
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"the search took {elapsed.TotalMilliseconds:F0} ms");
        // The deadline also cancels the reranker's token, so a scheduled reranker drops the work.
        await CacheTests.Eventually(() => Task.FromResult(slow.Cancelled == 1));
        // Opened, the same reranker answers within a deadline it can meet.
        var reranked = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 4, rerank_timeout_ms = 600_000 });
        Assert.True(reranked.Json.GetProperty("reranked").GetBoolean());
    }

    [Fact]
    public async Task ServerDefaultTimeout_AppliesWhenTheRequestSetsNone()
    {
        await using var server = await TestServer.StartAsync(NoCache with { RerankTimeout = TimeSpan.FromMilliseconds(100) });
        var name = await SearchServer.NewCollectionAsync(server);
        var slow = new GatedReranker();
        Host(server).RerankerDecorator = slow.Wrap;

        var fallback = await SearchServer.SearchAsync(server, name, Body);
        slow.Open();

        Assert.Equal("rerank_timeout", fallback.Json.GetProperty("fallback_reason").GetString());
        Assert.Equal(1, await Metrics.ReadAsync(server, "sift_search_fallback_total{reason=\"rerank_timeout\"}"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(600_001)]
    public async Task RerankTimeoutOutOfRange_Is400NamingTheField(int milliseconds)
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server);

        using var response = await server.PostJsonAsync($"/v1/collections/{name}/search", new { query = Query, rerank_timeout_ms = milliseconds });
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("rerank_timeout_ms", error.GetProperty("param").GetString());
        Assert.Contains(milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("message").GetString());
        Assert.True((await SearchServer.SearchAsync(server, name, Body)).Json.GetProperty("reranked").GetBoolean());
    }

    [Fact]
    public async Task RerankFalse_IsNoFallback_AndAServerWithoutARerankerSaysSo()
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server);
        var asked = await SearchServer.SearchAsync(server, name, new { query = Query, rerank = false });
        Assert.False(asked.Json.TryGetProperty("fallback_reason", out _));
        Assert.Equal(0, await Metrics.SumAsync(server, "sift_search_fallback_total"));

        var data = Directory.CreateTempSubdirectory("sift-no-reranker-").FullName;
        try
        {
            var app = SiftServer.Build(new ServerOptions { Model = Fixtures.EmbeddingModel, Data = data, Host = "127.0.0.1", Port = 0, Cache = NoCache.Cache });
            await app.StartAsync(TestContext.Current.CancellationToken);
            await using var owned = app;
            using var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app) };
            await CacheTests.Eventually(async () => (await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, seconds: 60);
            using var sdk = new SiftCollections(new SiftClientOptions { Endpoint = SiftServer.ListeningAddress(app) });
            await sdk.CreateAsync("docs", new SiftCollectionOptions { Dimensions = 48 }, TestContext.Current.CancellationToken);
            await sdk.UpsertAsync("docs", [new SiftDocument("beijing", "Beijing is the capital of China.")], TestContext.Current.CancellationToken);

            var found = await sdk.SearchAsync("docs", Query, cancellationToken: TestContext.Current.CancellationToken);

            Assert.False(found.Reranked);
            Assert.Equal("no_reranker", found.FallbackReason);
            Assert.Equal("beijing", Assert.Single(found.Results).Id);
            await app.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Sdk_ReadsTheFallbackReason_AndSendsItsTimeout()
    {
        await using var server = await TestServer.StartAsync(NoCache);
        var name = await SearchServer.NewCollectionAsync(server);
        var slow = new GatedReranker();
        Host(server).RerankerDecorator = slow.Wrap;
        using var sdk = new SiftCollections(new SiftClientOptions { Endpoint = server.Address });

        var found = await sdk.SearchAsync(name, Query, new SiftSearchOptions { RerankTimeout = TimeSpan.FromMilliseconds(50) }, TestContext.Current.CancellationToken);
        slow.Open();

        Assert.False(found.Reranked);
        Assert.Equal("rerank_timeout", found.FallbackReason);
        Assert.NotEmpty(found.Results);
    }

    [Fact]
    public async Task RerankerStillLoading_SearchAnswersInVectorOrder_ThenReranksOnceLoaded()
    {
        // The reranker's load blocks on its config.json (a FIFO) while the embedding model (loaded first) serves.
        using var loading = await LoadingReranker.CreateAsync();
        var app = SiftServer.Build(new ServerOptions
        {
            Model = Fixtures.EmbeddingModel,
            Reranker = loading.Directory,
            Data = Path.Combine(loading.Directory, "sift-data"),
            Host = "127.0.0.1",
            Port = 0,
            Cache = NoCache.Cache,
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var owned = app;
        using var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app) };
        // The embedding model serves before /ready (which waits for both).
        await CacheTests.Eventually(async () => (await http.PostAsync("/v1/collections",
            JsonContent.Create(new { name = "docs", dimensions = 48 }), TestContext.Current.CancellationToken)).StatusCode == HttpStatusCode.Created, seconds: 60);
        using (var upsert = await http.PostAsync("/v1/collections/docs/documents", JsonContent.Create(new { documents = SearchServer.Corpus.Select(d => new { id = d.Id, text = d.Text }) }),
            TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);
        }

        using var whileLoading = await http.PostAsync("/v1/collections/docs/search", JsonContent.Create(Body), TestContext.Current.CancellationToken);
        var fallback = JsonDocument.Parse(await whileLoading.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(HttpStatusCode.OK, whileLoading.StatusCode);
        Assert.False(fallback.GetProperty("reranked").GetBoolean());
        Assert.Equal("reranker_not_loaded", fallback.GetProperty("fallback_reason").GetString());
        Assert.False((await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode);

        await loading.FinishLoadingAsync();
        await CacheTests.Eventually(async () => (await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, seconds: 60);
        using var loaded = await http.PostAsync("/v1/collections/docs/search", JsonContent.Create(Body), TestContext.Current.CancellationToken);
        var afterLoad = JsonDocument.Parse(await loaded.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(afterLoad.GetProperty("reranked").GetBoolean());
        Assert.False(afterLoad.TryGetProperty("fallback_reason", out _));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static string JsonText(JsonElement element) => element.GetRawText();
}
