using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Checkpoints;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Server.Retrieval;
using Sift.Tests.Support;
using Sift.Tokenization;

namespace Sift.Tests.Server;

/// <summary>
/// Concurrent identical searches that miss the cache share one computation: counted in the models'
/// tokens and in calls to the embedder, held at a gate until every request has missed.
/// </summary>
public sealed class SearchSingleFlightTests
{
    private const string Misses = "sift_cache_requests_total{kind=\"search\",result=\"miss\"}";
    private const string Shared = "sift_cache_shared_total{kind=\"search\"}";

    private static RetrievalHost Host(TestServer server) => (RetrievalHost)server.Services.GetService(typeof(RetrievalHost))!;

    [Fact]
    public async Task ConcurrentIdenticalSearches_ComputeOnce_AndEveryOneGetsTheComputedAnswer()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var body = new { query = "What is the capital of China?", top_k = 10, top_n = 3 };

        // One computation alone, for the tokens each model runs per search: the same search again after a
        // write (same documents, new write version, so a miss with the same candidates).
        var alone = await TokensAsync(server, async () =>
        {
            await SearchServer.SearchAsync(server, name, body);
        });
        await SearchServer.UpsertAsync(server, name, SearchServer.Corpus);
        var again = await TokensAsync(server, async () => Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, body)).Cache));
        Assert.Equal(alone, again);
        await SearchServer.UpsertAsync(server, name, SearchServer.Corpus);

        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        const int concurrent = 8;
        var missesBefore = await Metrics.ReadAsync(server, Misses);
        var sharedBefore = await Metrics.ReadAsync(server, Shared);
        (string Body, string? Cache, JsonElement Json)[] answers = [];
        var tokens = await TokensAsync(server, async () =>
        {
            var searches = Enumerable.Range(0, concurrent).Select(_ => SearchServer.SearchAsync(server, name, body)).ToArray();
            // Every request has looked the key up and missed before the one computation may finish.
            await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + concurrent);
            gate.Open();
            answers = await Task.WhenAll(searches);
        });

        Assert.Equal(1, gate.Calls);
        Assert.Equal(alone, tokens);
        Assert.Equal(sharedBefore + concurrent - 1, await Metrics.ReadAsync(server, Shared));
        Assert.Equal(1, answers.Count(a => a.Cache == "miss"));
        Assert.Equal(concurrent - 1, answers.Count(a => a.Cache == "shared"));
        var computed = answers.Single(a => a.Cache == "miss");
        Assert.True(computed.Json.GetProperty("reranked").GetBoolean());
        Assert.True(computed.Json.GetProperty("timings_ms").GetProperty("rerank").GetDouble() > 0);
        foreach (var answer in answers.Where(a => a.Cache == "shared"))
        {
            Assert.Equal(SearchServer.WithoutTimings(computed.Body), SearchServer.WithoutTimings(answer.Body));
            // It computed nothing itself: no stage time, only its own total (which includes the wait).
            var timings = answer.Json.GetProperty("timings_ms");
            Assert.Equal((0.0, 0.0, 0.0), (timings.GetProperty("embed").GetDouble(), timings.GetProperty("vector").GetDouble(), timings.GetProperty("rerank").GetDouble()));
            Assert.True(timings.GetProperty("total").GetDouble() > 0);
        }
        Assert.Equal("hit", (await SearchServer.SearchAsync(server, name, body)).Cache);
        Assert.Equal(1, gate.Calls);
    }

    [Fact]
    public async Task ConcurrentSearches_OfDifferentKeys_AreNotCoalesced()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var missesBefore = await Metrics.ReadAsync(server, Misses);

        object[] bodies = [new { query = "capital of China" }, new { query = "capital of France" }, new { query = "capital of China", top_n = 2 }];
        var searches = bodies.Concat(bodies).Select(b => SearchServer.SearchAsync(server, name, b)).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + searches.Length && gate.Calls == bodies.Length);
        gate.Open();
        var answers = await Task.WhenAll(searches);

        Assert.Equal(bodies.Length, gate.Calls);
        Assert.Equal(bodies.Length, answers.Count(a => a.Cache == "miss"));
        Assert.Equal(bodies.Length, answers.Count(a => a.Cache == "shared"));
        for (var i = 0; i < bodies.Length; i++)
        {
            Assert.Equal(SearchServer.WithoutTimings(answers[i].Body), SearchServer.WithoutTimings(answers[i + bodies.Length].Body));
        }
    }

    [Fact]
    public async Task TheFirstCallerCancelling_DoesNotFailTheOthers_AndTheResultIsStillCached()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var body = new { query = "Where is Paris?", top_n = 2 };
        var path = $"/v1/collections/{name}/search";
        var route = "sift_requests_total{route=\"POST /v1/collections/{name}/search\",status=\"499\"}";
        var missesBefore = await Metrics.ReadAsync(server, Misses);
        var abortedBefore = await Metrics.ReadAsync(server, route);

        using var leaving = new CancellationTokenSource();
        var first = server.Http.PostAsJsonAsync(path, body, leaving.Token);
        await CacheTests.Eventually(() => Task.FromResult(gate.Calls == 1));
        var others = Enumerable.Range(0, 3).Select(_ => SearchServer.SearchAsync(server, name, body)).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + 4);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        // The server has seen the first caller leave (logged as 499) before the computation may finish.
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, route) == abortedBefore + 1);
        gate.Open();
        var answers = await Task.WhenAll(others);

        Assert.Equal((1, 0), (gate.Calls, gate.Cancelled));
        Assert.All(answers, a => Assert.Equal("shared", a.Cache));
        Assert.All(answers, a => Assert.True(a.Json.GetProperty("reranked").GetBoolean()));
        Assert.Equal("hit", (await SearchServer.SearchAsync(server, name, body)).Cache);
        Assert.Equal(1, gate.Calls);
    }

    [Fact]
    public async Task TheLastCallerLeaving_CancelsTheComputation()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var body = new { query = "Where is Paris?" };

        using var leaving = new CancellationTokenSource();
        var search = server.Http.PostAsJsonAsync($"/v1/collections/{name}/search", body, leaving.Token);
        await CacheTests.Eventually(() => Task.FromResult(gate.Calls == 1));
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search);
        await CacheTests.Eventually(() => Task.FromResult(gate.Cancelled == 1));

        gate.Open();
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, body)).Cache);
        Assert.Equal(2, gate.Calls);
    }

    [Fact]
    public async Task AFailingComputation_FailsEveryWaiter_AndTheNextRequestComputesAgain()
    {
        // " Hello" reads an embedding row holding NaN: the query's embedding is NaN, which fails the search (500).
        using var models = new NaNModels();
        await using var server = await models.StartServerAsync();
        using (var created = await server.PostJsonAsync("/v1/collections", new { name = "nan" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        await SearchServer.UpsertAsync(server, "nan", SearchServer.Corpus);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var missesBefore = await Metrics.ReadAsync(server, Misses);
        var cancel = TestContext.Current.CancellationToken;

        Task<HttpResponseMessage> Search() => server.PostRawAsync("/v1/collections/nan/search", """{"query": "say Hello"}""");
        var searches = Enumerable.Range(0, 4).Select(_ => Search()).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + 4);
        gate.Open();
        var responses = await Task.WhenAll(searches);
        Assert.Equal(1, gate.Calls);
        foreach (var response in responses.Append(await Search()))
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
                Assert.Equal("non_finite_output", json.RootElement.GetProperty("error").GetProperty("code").GetString());
            }
        }
        // The failure was not cached: the request after the shared one computed again.
        Assert.Equal(2, gate.Calls);
        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/collections/nan/search", """{"query": "fine"}""")).StatusCode);
    }

    [Fact]
    public async Task AFallback_ReachesEveryWaiter_AndIsNotCached()
    {
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        Host(server).RerankerDecorator = inner => new FaultyReranker(inner, new InvalidOperationException("the reranker broke"));
        var body = new { query = "capital of China", top_n = 2 };
        var missesBefore = await Metrics.ReadAsync(server, Misses);

        var searches = Enumerable.Range(0, 4).Select(_ => SearchServer.SearchAsync(server, name, body)).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + 4);
        gate.Open();
        var answers = await Task.WhenAll(searches);

        Assert.Equal(1, gate.Calls);
        Assert.All(answers, a => Assert.Equal("reranker_failed", a.Json.GetProperty("fallback_reason").GetString()));
        Assert.Equal((1, 3), (answers.Count(a => a.Cache == "miss"), answers.Count(a => a.Cache == "shared")));
        Assert.Equal("miss", (await SearchServer.SearchAsync(server, name, body)).Cache);
        Assert.Equal(2, gate.Calls);
    }

    /// <summary>The tokens each model ran while <paramref name="action"/> ran.</summary>
    private static async Task<(double Embedding, double Reranker)> TokensAsync(TestServer server, Func<Task> action)
    {
        Task<double> Read(string model) => Metrics.ReadAsync(server, $"sift_tokens_processed_total{{model=\"{model}\"}}");
        var (embedding, reranker) = (await Read(TestServer.EmbeddingName), await Read(TestServer.RerankerName));
        await action();
        return (await Read(TestServer.EmbeddingName) - embedding, await Read(TestServer.RerankerName) - reranker);
    }

    [Fact]
    public async Task ConcurrentSearches_WithDifferentRerankTimeouts_AreNotCoalesced()
    {
        // A shared computation waits for the reranker as long as its first caller allows: a caller that
        // allows another time must not be answered under it (a fallback it did not ask for, or a longer wait).
        await using var server = await TestServer.StartAsync();
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var missesBefore = await Metrics.ReadAsync(server, Misses);

        var searches = new[] { 60_000, 120_000 }.Select(timeout =>
            SearchServer.SearchAsync(server, name, new { query = "capital of China", rerank_timeout_ms = timeout })).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + 2 && gate.Calls == 2);
        gate.Open();
        var answers = await Task.WhenAll(searches);

        Assert.Equal(2, gate.Calls);
        Assert.All(answers, a => Assert.Equal("miss", a.Cache));
        Assert.All(answers, a => Assert.True(a.Json.GetProperty("reranked").GetBoolean()));
    }

    [Fact]
    public async Task TheComputingCallerLeaving_StillReportsALowConfidenceResultOnce()
    {
        var everything = new Sift.Abstractions.LowConfidenceRule { MaxScoreBelow = 1, SpreadBelow = 1 };
        await using var server = await TestServer.StartAsync(new ServerOptions { LowConfidence = new Sift.Server.Alerts.LowConfidenceOptions { Rule = everything } });
        var name = await SearchServer.NewCollectionAsync(server);
        var gate = new GatedEmbedder();
        Host(server).EmbedderDecorator = gate.Wrap;
        var body = new { query = "Where is Paris?", top_n = 2 };
        var missesBefore = await Metrics.ReadAsync(server, Misses);

        using var leaving = new CancellationTokenSource();
        var first = server.Http.PostAsJsonAsync($"/v1/collections/{name}/search", body, leaving.Token);
        await CacheTests.Eventually(() => Task.FromResult(gate.Calls == 1));
        var others = Enumerable.Range(0, 2).Select(_ => SearchServer.SearchAsync(server, name, body)).ToArray();
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, Misses) == missesBefore + 3);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        gate.Open();
        var answers = await Task.WhenAll(others);
        using var kept = await server.Http.GetAsync("/v1/low-confidence?limit=10", TestContext.Current.CancellationToken);
        using var list = JsonDocument.Parse(await kept.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.All(answers, a => Assert.Equal("shared", a.Cache));
        // Reported by the computation itself, which ran on for the others: once, not lost with the caller that started it.
        Assert.Equal(1, list.RootElement.GetProperty("data").GetArrayLength());
    }
}
