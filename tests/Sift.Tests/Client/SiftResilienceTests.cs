using System.Net.Sockets;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sift.Abstractions;
using Sift.Client;
using Sift.Engine;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tests.Engine;
using Sift.Tests.Server;
using Sift.Tests.Support;

namespace Sift.Tests.Client;

/// <summary>The SDK against servers that refuse, fail or are gone: retries, Retry-After, the circuit breaker, the fallback, the low-confidence callback.</summary>
public sealed class SiftResilienceTests
{
    private const string RerankBody = """{"id":"x","model":"m","results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":0.1}],"usage":{"total_tokens":3}}""";
    private const string Overloaded = """{"error":{"message":"busy","type":"rate_limit_error","param":null,"code":"overloaded"}}""";
    private const string Unavailable = """{"error":{"message":"loading","type":"server_error","param":null,"code":"not_ready"}}""";

    private static SiftResilienceOptions Fast => new() { BaseDelay = TimeSpan.FromMilliseconds(1), CircuitBreaker = null };

    [Fact]
    public async Task Retries_TwoTooManyRequests_WaitTheirRetryAfterThenSucceed()
    {
        await using var server = await LoopbackReceiver.StartAsync((429, "1", Overloaded), (429, "1", Overloaded), (200, null, RerankBody));
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = server.Address, Resilience = Fast });

        var results = await reranker.RerankAsync("q", ["a", "b"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([1, 0], results.Select(r => r.Index));
        var attempts = server.Requests.ToArray();
        Assert.Equal(3, attempts.Length);
        // The backoff alone would be a millisecond; the server asked for a second each time.
        Assert.True(attempts[1].Time - attempts[0].Time >= TimeSpan.FromMilliseconds(950), $"{(attempts[1].Time - attempts[0].Time).TotalMilliseconds} ms");
        Assert.True(attempts[2].Time - attempts[1].Time >= TimeSpan.FromMilliseconds(950), $"{(attempts[2].Time - attempts[1].Time).TotalMilliseconds} ms");
        Assert.Equal(attempts[0].Body, attempts[2].Body);
    }

    [Fact]
    public async Task Retries_UnavailableEveryTime_GiveUpAfterMaxRetriesWithTheServersError()
    {
        await using var server = await LoopbackReceiver.StartAsync(Enumerable.Repeat((503, (string?)"0", Unavailable), 10).ToArray());
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = server.Address, Resilience = Fast with { MaxRetries = 2 } });

        var error = await Assert.ThrowsAsync<SiftApiException>(() => reranker.RerankAsync("q", ["a"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal((503, "not_ready"), (error.Status, error.Code));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Retries_ABadRequest_IsNeverRetried()
    {
        await using var server = await LoopbackReceiver.StartAsync((400, null, """{"error":{"message":"'query' is required","type":"invalid_request_error","param":"query","code":null}}"""));
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = server.Address, Resilience = Fast });

        var error = await Assert.ThrowsAsync<SiftApiException>(() => reranker.RerankAsync("q", ["a"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(400, error.Status);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task CircuitBreaker_OpensAfterFailures_FailsFastWhileOpen_ClosesAfterABreak()
    {
        await using var server = await LoopbackReceiver.StartAsync((500, null, Unavailable), (500, null, Unavailable), (200, null, RerankBody), (200, null, RerankBody));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var resilience = new SiftResilienceOptions
        {
            MaxRetries = 0,
            TimeProvider = clock,
            CircuitBreaker = new SiftCircuitBreakerOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(5),
            },
        };
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = server.Address, Resilience = resilience });
        Task<IReadOnlyList<RerankResult>> Call() => reranker.RerankAsync("q", ["a", "b"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(500, (await Assert.ThrowsAsync<SiftApiException>(Call)).Status);
        Assert.Equal(500, (await Assert.ThrowsAsync<SiftApiException>(Call)).Status);
        var open = await Assert.ThrowsAsync<SiftApiException>(Call);
        Assert.Equal((503, "circuit_open"), (open.Status, open.Code));
        Assert.Equal(2, server.Requests.Count);

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(2, (await Call()).Count);
        Assert.Equal(2, (await Call()).Count);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Fallback_ServerGone_RanksByCosineFromTheEmbeddingGenerator_MarkedAsFallback()
    {
        await using var embeddings = await TestServer.StartAsync();
        using var generator = new SiftEmbeddingGenerator(new SiftClientOptions { Endpoint = embeddings.Address });
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = ClosedPort(), Resilience = Fast with { MaxRetries = 1 } },
            new SiftRerankerOptions { Fallback = generator });
        string[] documents = ["The capital of China is Beijing.", "Gravity is a force.", "zzz", "Paris is in France."];
        const string query = "What is the capital of China?";

        var results = await reranker.RerankAsync(query, documents, new RerankingOptions { TopN = 3, ReturnDocuments = true }, TestContext.Current.CancellationToken);

        // Expected: the engine in process, the query embedded as a query and each document as a document.
        var embedder = ModelFixtures.Embedder.Value;
        var queryVector = embedder.Embed([EmbeddingInput.Query(query)])[0].Vector;
        var expected = embedder.Embed(documents.Select(EmbeddingInput.Document).ToArray())
            .Select((e, i) => (Index: i, Score: TensorPrimitives.CosineSimilarity(queryVector, e.Vector)))
            .OrderByDescending(r => r.Score).Take(3).ToArray();
        Assert.Equal(expected.Select(e => e.Index), results.Select(r => r.Index));
        Assert.All(results.Zip(expected), pair => Assert.Equal(pair.Second.Score, pair.First.RelevanceScore, 5));
        Assert.All(results, r => Assert.True(r.IsFallback));
        Assert.All(results, r => Assert.Equal(documents[r.Index], r.Document));
    }

    [Fact]
    public async Task Fallback_IsNotUsedForABadRequest_NorWithoutAGenerator()
    {
        await using var server = await TestServer.StartAsync();
        using var generator = new SiftEmbeddingGenerator(new SiftClientOptions { Endpoint = server.Address });
        using var withFallback = new SiftReranker(new SiftClientOptions { Endpoint = server.Address }, new SiftRerankerOptions { Fallback = generator });
        using var withoutFallback = new SiftReranker(new SiftClientOptions { Endpoint = ClosedPort(), Resilience = Fast with { MaxRetries = 1 } });

        var refused = await Assert.ThrowsAsync<SiftApiException>(() => withFallback.RerankAsync("q", [], cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<HttpRequestException>(() => withoutFallback.RerankAsync("q", ["a"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task LowConfidenceCallback_FiresOnALowFlatAnswer_NotOnAConfidentOne()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        var alerts = new List<LowConfidenceAlert>();
        using var reranker = new SiftReranker(new SiftClientOptions { Endpoint = server.Address }, new SiftRerankerOptions { OnLowConfidence = alerts.Add });
        const string query = "What is the capital of China?";

        var low = await reranker.RerankAsync(query, ["a", "zzz", "1234"], cancellationToken: TestContext.Current.CancellationToken);
        await reranker.RerankAsync(query, ["The capital of China is Beijing.", "a", "zzz"], cancellationToken: TestContext.Current.CancellationToken);

        var alert = Assert.Single(alerts);
        Assert.Equal(query, alert.Query);
        Assert.Same(low, alert.Results);
        Assert.Equal(low.Max(r => r.RelevanceScore), alert.Statistics.Max);
        Assert.True(alert.Statistics.Max < 0.4 && alert.Statistics.Spread < 0.1);
    }

    [Fact]
    public async Task EmbeddingGenerator_WithMicrosoftExtensionsAiDistributedCache_AsksTheServerOnce()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        IDistributedCache cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        using var generator = new SiftEmbeddingGenerator(new SiftClientOptions { Endpoint = server.Address })
            .AsBuilder()
            .UseDistributedCache(cache)
            .Build();

        var first = await generator.GenerateAsync(["hello", "world"], cancellationToken: TestContext.Current.CancellationToken);
        var second = await generator.GenerateAsync(["hello", "world"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(first[0].Vector.ToArray(), second[0].Vector.ToArray());
        Assert.Equal(first[1].Vector.ToArray(), second[1].Vector.ToArray());
        Assert.Equal(1, await Metrics.ReadAsync(server, "sift_requests_total{route=\"POST /v1/embeddings\",status=\"200\"}"));
    }

    /// <summary>A loopback address where nothing listens.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}");
    }
}
