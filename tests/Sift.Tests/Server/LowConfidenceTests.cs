using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Sift.Abstractions;
using Sift.Server.Alerts;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tests.Cli;
using Sift.Tests.Engine;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>The low-confidence check after every rerank and reranked search: flagged or not, counted, kept for analysis, posted to a webhook.</summary>
public sealed class LowConfidenceTests
{
    private const string Query = "What is the capital of China?";

    /// <summary>Documents the fixture reranker scores all low and alike for <see cref="Query"/>.</summary>
    private static readonly string[] Unrelated = ["a", "zzz", "1234"];

    /// <summary>One document it scores high, so the ranking is confident.</summary>
    private static readonly string[] WithAnswer = ["The capital of China is Beijing.", "a", "zzz"];

    /// <summary>A rule every ranking meets, for tests about what happens after a flag.</summary>
    private static readonly LowConfidenceRule Always = new() { MaxScoreBelow = 1, SpreadBelow = 1 };

    [Fact]
    public async Task Rerank_LowAndFlat_IsFlaggedCountedAndKept_AConfidentOneIsNot()
    {
        // The premise, computed in process: the default rule holds for one request and not the other.
        var reranker = ModelFixtures.Reranker.Value;
        var low = ScoreStatistics.Of(reranker.Score(Query, Unrelated).Select(s => (double)s.Score));
        var confident = ScoreStatistics.Of(reranker.Score(Query, WithAnswer).Select(s => (double)s.Score));
        Assert.True(LowConfidenceRule.Default.IsLowConfidence(low));
        Assert.False(LowConfidenceRule.Default.IsLowConfidence(confident));
        await using var server = await TestServer.StartAsync();

        using var response = await PostAsync(server, Query, Unrelated);
        using var _ = await PostAsync(server, Query, WithAnswer);
        using var list = await ListAsync(server, "");

        var entry = Assert.Single(list.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(Query, entry.GetProperty("query").GetString());
        Assert.Equal(TestServer.RerankerName, entry.GetProperty("model").GetString());
        Assert.False(entry.TryGetProperty("collection", out var _));
        Assert.Matches("^[0-9a-f]{16}$", entry.GetProperty("query_hash").GetString());
        var returned = response.RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("relevance_score").GetSingle());
        // The queue keeps each float score as a double: the same number.
        Assert.Equal(Enumerable.Range(0, Unrelated.Length).Select(i => returned[i]), entry.GetProperty("scores").EnumerateArray().Select(s => (float)s.GetDouble()));
        Assert.Equal(low.Max, entry.GetProperty("statistics").GetProperty("max").GetDouble(), 6);
        Assert.Equal(low.Spread, entry.GetProperty("statistics").GetProperty("spread").GetDouble(), 6);
        var top = entry.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(returned.OrderByDescending(r => r.Value).Select(r => r.Key), top.Select(t => t.GetProperty("index").GetInt32()));
        Assert.Equal(Unrelated[top[0].GetProperty("index").GetInt32()], top[0].GetProperty("text").GetString());
        Assert.Equal(1, await Metrics.ReadAsync(server, $"sift_low_confidence_total{{model=\"{TestServer.RerankerName}\",collection=\"\"}}"));

        // A cached answer is checked too: after every rerank.
        using var again = await PostAsync(server, Query, Unrelated);
        Assert.Equal(2, await Metrics.ReadAsync(server, $"sift_low_confidence_total{{model=\"{TestServer.RerankerName}\",collection=\"\"}}"));
    }

    [Fact]
    public async Task Queue_KeepsTheNewestUpToItsSize_NewestFirst()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { LowConfidence = new LowConfidenceOptions { Rule = Always, QueueSize = 3 } });
        for (var i = 0; i < 5; i++)
        {
            using var _ = await PostAsync(server, $"question {i}", Unrelated);
        }

        using var list = await ListAsync(server, "?limit=10");
        using var two = await ListAsync(server, "?limit=2");

        Assert.Equal(["question 4", "question 3", "question 2"], list.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("query").GetString()));
        Assert.Equal(2, two.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task List_LimitOutOfRange_Is400NamingIt()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var limit in new[] { "0", "1001", "ten", "-1" })
        {
            using var response = await server.Http.GetAsync($"/v1/low-confidence?limit={limit}", TestContext.Current.CancellationToken);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("limit", json.RootElement.GetProperty("error").GetProperty("param").GetString());
            Assert.Contains(limit, json.RootElement.GetProperty("error").GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Webhook_ReceivesTheAlertAfterARetry_TheQueryOnlyWithLogTexts(bool logTexts)
    {
        await using var receiver = await LoopbackReceiver.StartAsync((503, null, "{}"));
        var options = new ServerOptions { LowConfidence = new LowConfidenceOptions { Webhook = new Uri(receiver.Address, "/hook") }, LogTexts = logTexts };
        await using var server = await TestServer.StartAsync(options);

        using var _ = await PostAsync(server, Query, Unrelated);
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, "sift_alert_webhook_total{result=\"sent\"}") == 1);

        var attempts = receiver.Requests.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.All(attempts, a => Assert.Equal("/hook", a.Path));
        using var alert = JsonDocument.Parse(attempts[1].Body);
        Assert.Equal("sift.low_confidence", alert.RootElement.GetProperty("event").GetString());
        Assert.Equal(TestServer.RerankerName, alert.RootElement.GetProperty("model").GetString());
        Assert.Matches("^[0-9a-f]{16}$", alert.RootElement.GetProperty("query_hash").GetString());
        Assert.True(alert.RootElement.GetProperty("statistics").GetProperty("max").GetDouble() < 0.4);
        Assert.Equal(logTexts, alert.RootElement.TryGetProperty("query", out var query));
        Assert.Equal(logTexts ? Query : null, logTexts ? query.GetString() : null);
        using var list = await ListAsync(server, "");
        Assert.Equal(list.RootElement.GetProperty("data")[0].GetProperty("id").GetString(), alert.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Webhook_ThatNeverAnswers_HoldsUpNoRequest_AndItsQueueIsBounded()
    {
        // Accepts connections and never answers: each post waits for its 10 s attempt timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(backlog: 64);
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/hook");
        var options = new ServerOptions { LowConfidence = new LowConfidenceOptions { Rule = Always, Webhook = address, WebhookQueueSize = 1 } };
        await using var server = await TestServer.StartAsync(options);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            using var _ = await PostAsync(server, $"question {i}", Unrelated);
        }
        var elapsed = clock.Elapsed;

        Assert.True(elapsed < TimeSpan.FromSeconds(8), $"six requests took {elapsed.TotalSeconds:F1} s");
        // One alert in flight, one queued, the other four dropped and counted.
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, "sift_alert_webhook_total{result=\"dropped\"}") >= 4);
    }

    [Fact]
    public async Task WithRedisCache_TheQueueIsARedisStreamSharedByReplicas_AndBounded()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = new ServerOptions
        {
            // A loaded machine's Redis can miss the 50 ms default; this test is about sharing and bounds, not the deadline.
            Cache = CacheOptions.Parse(redis.CacheSpec, 100, TimeSpan.FromHours(1)) with { RedisTimeout = TimeSpan.FromSeconds(5) },
            LowConfidence = new LowConfidenceOptions { Rule = Always, QueueSize = 2 },
        };
        await using var first = await TestServer.StartAsync(options);
        await using var second = await TestServer.StartAsync(options);
        for (var i = 0; i < 3; i++)
        {
            using var _ = await PostAsync(first, $"question {i}", Unrelated);
        }

        using var list = await ListAsync(second, "?limit=10");
        await using var connection = await redis.ConnectAsync();
        var length = await connection.GetDatabase().StreamLengthAsync(RedisLowConfidenceStore.StreamKey);

        var entries = list.RootElement.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(["question 2", "question 1"], entries.Select(e => e.GetProperty("query").GetString()));
        Assert.All(entries, e => Assert.Matches("^\\d+-\\d+$", e.GetProperty("id").GetString()));
        Assert.Equal(2, length);

        redis.Kill();
        using var down = await second.Http.GetAsync("/v1/low-confidence", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.True(down.Headers.RetryAfter is not null);
        using var stillServed = await PostAsync(first, "question while Redis is down", Unrelated);
    }

    [Fact]
    public async Task Cli_PrintsTheQueueAsJsonLines_AndNamesAnUnreachableServer()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { LowConfidence = new LowConfidenceOptions { Rule = Always } });
        using var _ = await PostAsync(server, "first question", Unrelated);
        using var __ = await PostAsync(server, "second question", Unrelated);

        var (exitCode, output, error) = await CliRunner.RunAsync("", "low-confidence", "--server", server.Address.ToString(), "--limit", "1");
        var (failedCode, _, failure) = await CliRunner.RunAsync("", "low-confidence", "--server", "http://127.0.0.1:1");

        Assert.Equal(0, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var entry = JsonDocument.Parse(line);
        Assert.Equal("second question", entry.RootElement.GetProperty("query").GetString());
        Assert.Equal("", error);
        Assert.Equal(1, failedCode);
        Assert.Contains("cannot reach the server at http://127.0.0.1:1/", failure);
    }

    [Fact]
    public async Task Serve_LowConfidence_LogsAStructuredWarningWithTheQueryHashNotItsText()
    {
        using var server = await ServeProcess.StartAsync("--low-confidence-max-score", "1", "--low-confidence-min-spread", "1");
        const string secret = "a question nobody should read in the log";

        using var response = await server.Http.PostAsJsonAsync("/v1/rerank", new { query = secret, documents = Unrelated }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode);
        await CacheTests.Eventually(() => Task.FromResult(server.Log.Contains("low-confidence ranking", StringComparison.Ordinal)));

        Assert.Matches("warn: .*\\[70\\] low-confidence ranking: model=qwen3-tiny-reranker collection= query_hash=[0-9a-f]{16} results=3 max=[\\d.]+ min=[\\d.]+ spread=[\\d.]+ std=[\\d.]+",
            server.Log);
        Assert.DoesNotContain(secret, server.Log);
    }

    [Fact]
    public async Task Search_Reranked_IsChecked_AndLabelledWithItsCollection_AFallbackIsNot()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            Cache = new CacheOptions { Backend = CacheBackend.None },
            LowConfidence = new LowConfidenceOptions { Rule = Always },
        });
        var name = await SearchServer.NewCollectionAsync(server);

        var (_, _, json) = await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3 });
        var host = (Sift.Server.Retrieval.RetrievalHost)server.Services.GetService(typeof(Sift.Server.Retrieval.RetrievalHost))!;
        host.RerankerDecorator = inner => new FaultyReranker(inner, new InvalidOperationException("broken"));
        await SearchServer.SearchAsync(server, name, new { query = "not checked: vector scores are no reranker's confidence", top_k = 10, top_n = 3 });
        using var list = await ListAsync(server, "");

        var entry = Assert.Single(list.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(name, entry.GetProperty("collection").GetString());
        Assert.Equal(Query, entry.GetProperty("query").GetString());
        var results = json.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(results.Select(r => r.GetProperty("score").GetSingle()), entry.GetProperty("scores").EnumerateArray().Select(s => (float)s.GetDouble()));
        Assert.Equal(results.Select(r => r.GetProperty("id").GetString()), entry.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(1, await Metrics.ReadAsync(server, $"sift_low_confidence_total{{model=\"{TestServer.RerankerName}\",collection=\"{name}\"}}"));
    }

    [Fact]
    public async Task CacheHits_OfALowConfidenceQuery_AreCounted_ButKeptAndPostedOnce()
    {
        // A hot nonsense query answered from the cache in a loop once filled the queue with copies of itself
        // (evicting every other entry), posted each copy, and paid a queue write per hit.
        await using var receiver = await LoopbackReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            LowConfidence = new LowConfidenceOptions { Rule = Always, Webhook = new Uri(receiver.Address, "/hook") },
        });
        var name = await SearchServer.NewCollectionAsync(server);
        var series = $"sift_low_confidence_total{{model=\"{TestServer.RerankerName}\",collection=\"{name}\"}}";

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i == 0 ? "miss" : "hit", (await SearchServer.SearchAsync(server, name, new { query = Query, top_k = 10, top_n = 3 })).Cache);
            using var _ = await PostAsync(server, Query, Unrelated);
        }
        await CacheTests.Eventually(async () => await Metrics.ReadAsync(server, "sift_alert_webhook_total{result=\"sent\"}") == 2);
        using var list = await ListAsync(server, "?limit=100");

        Assert.Equal(20, await Metrics.ReadAsync(server, series));
        Assert.Equal(20, await Metrics.ReadAsync(server, $"sift_low_confidence_total{{model=\"{TestServer.RerankerName}\",collection=\"\"}}"));
        // One entry for the search and one for the rerank request: each kept when it was computed.
        var collections = list.RootElement.GetProperty("data").EnumerateArray()
            .Select(e => e.TryGetProperty("collection", out var collection) ? collection.GetString()! : "").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["", name], collections);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Entry_OfALongQueryWithManyDocuments_KeepsTheStartOfTheQueryAndTheFirstScores()
    {
        // A rerank query is bounded only by the payload limit (it is cut to fit under truncation): stored
        // whole, 1000 entries of attacker-chosen text could take the data store's --data-max-size.
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            MaxInputLength = 128,
            Cache = new CacheOptions { Backend = CacheBackend.None },
            LowConfidence = new LowConfidenceOptions { Rule = Always },
        });
        var query = string.Concat(Enumerable.Repeat("where is 北京? ", 2000));
        var documents = Enumerable.Range(0, 150).Select(i => $"document {i}").ToArray();

        using var response = await server.PostJsonAsync("/rerank", new { query, texts = documents, truncate = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var list = await ListAsync(server, "");

        var entry = Assert.Single(list.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(query[..LowConfidenceMonitor.KeptQueryLength], entry.GetProperty("query").GetString());
        Assert.Equal(query.Length, entry.GetProperty("query_length").GetInt32());
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(query)))[..16];
        Assert.Equal(hash, entry.GetProperty("query_hash").GetString());
        Assert.Equal(LowConfidenceMonitor.KeptScores, entry.GetProperty("scores").GetArrayLength());
        Assert.Equal(documents.Length, entry.GetProperty("statistics").GetProperty("count").GetInt32());
        Assert.True(list.RootElement.GetRawText().Length < 40_000, $"{list.RootElement.GetRawText().Length} characters listed for one entry");
    }

    [Fact]
    public async Task Queue_InTheDataStore_OutlivesARestart()
    {
        var data = Directory.CreateTempSubdirectory("sift-alerts-").FullName;
        try
        {
            var options = new ServerOptions { Data = data, LowConfidence = new LowConfidenceOptions { Rule = Always, QueueSize = 2 } };
            await using (var first = await TestServer.StartAsync(options))
            {
                for (var i = 0; i < 3; i++)
                {
                    using var _ = await PostAsync(first, $"question {i}", Unrelated);
                }
            }

            await using var restarted = await TestServer.StartAsync(options);
            using var list = await ListAsync(restarted, "?limit=10");

            var entries = list.RootElement.GetProperty("data").EnumerateArray().ToArray();
            Assert.Equal(["question 2", "question 1"], entries.Select(e => e.GetProperty("query").GetString()));
            Assert.All(entries, e => Assert.Matches("^\\d+-\\d+$", e.GetProperty("id").GetString()));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<JsonDocument> PostAsync(TestServer server, string query, string[] documents)
    {
        using var response = await server.PostJsonAsync("/v1/rerank", new { query, documents });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text);
    }

    private static async Task<JsonDocument> ListAsync(TestServer server, string query)
    {
        using var response = await server.Http.GetAsync("/v1/low-confidence" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text);
    }

    [Fact]
    public async Task AStoreThatThrows_DoesNotFailTheCheck_TheRankingIsStillLoggedAndCounted()
    {
        using var telemetry = new Sift.Telemetry.SiftTelemetry();
        var options = new ServerOptions { LowConfidence = new LowConfidenceOptions { Rule = Always } };
        var monitor = new LowConfidenceMonitor(options, new Sift.Server.Metrics.ServerMetrics(telemetry), new ThrowingStore(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<LowConfidenceMonitor>.Instance);

        var entry = await monitor.CheckAsync("reranker", "docs", "a query", [0.1, 0.11], () => [], cached: false, TestContext.Current.CancellationToken);

        Assert.NotNull(entry);
        Assert.Equal("a query", entry.Query);
    }

    /// <summary>A queue whose writes fail with an error no store anticipates.</summary>
    private sealed class ThrowingStore : ILowConfidenceStore
    {
        public Task<LowConfidenceEntry?> AppendAsync(LowConfidenceEntry entry, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the queue is broken");

        public Task<IReadOnlyList<LowConfidenceEntry>> ListAsync(int limit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LowConfidenceEntry>>([]);
    }
}
