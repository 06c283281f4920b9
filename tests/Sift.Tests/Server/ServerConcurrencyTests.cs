using System.Net.Http.Json;
using System.Text.Json;

namespace Sift.Tests.Server;

public sealed class ServerConcurrencyTests
{
    [Fact]
    public async Task ThirtyTwoConcurrentClients_GetTheSameBitsAsOneAtATime_AndAreBatchedTogether()
    {
        await using var server = await TestServer.StartAsync();
        var random = new Random(5);
        var words = Sift.Tests.Qwen3.ReferenceCases.Embedding.Value.SelectMany(c => c.Text.Split(' ')).ToArray();
        var requests = Enumerable.Range(0, 32).Select(_ => Enumerable.Range(0, 1 + random.Next(4))
            .Select(_ => string.Join(' ', Enumerable.Range(0, 1 + random.Next(120)).Select(_ => words[random.Next(words.Length)]))).ToArray()).ToArray();

        var alone = new List<float[][]>();
        foreach (var request in requests)
        {
            alone.Add(await EmbedAsync(server, request));
        }
        var before = BatchCount(await PrometheusText.ScrapeAsync(server.Http));

        using var start = new ManualResetEventSlim();
        var clients = requests.Select(request => Task.Run(async () =>
        {
            start.Wait(TestContext.Current.CancellationToken);
            return await EmbedAsync(server, request);
        })).ToArray();
        start.Set();
        var concurrent = await Task.WhenAll(clients);

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Length, concurrent[i].Length);
            for (var j = 0; j < alone[i].Length; j++)
            {
                Assert.Equal(alone[i][j], concurrent[i][j]);
            }
        }
        var after = BatchCount(await PrometheusText.ScrapeAsync(server.Http));
        // Batching across requests: fewer forward passes than requests (fewer than sequences would hold within each request alone).
        Assert.True(after - before < requests.Length, $"{after - before} forward passes for {requests.Length} requests");
    }

    [Fact]
    public async Task SixteenConcurrentRerankRequests_GetTheSameBitsAsOneAtATime_AndShareForwardPasses()
    {
        await using var server = await TestServer.StartAsync();
        var random = new Random(6);
        var words = Sift.Tests.Qwen3.ReferenceCases.Embedding.Value.SelectMany(c => c.Text.Split(' ')).ToArray();
        string Text(int most) => string.Join(' ', Enumerable.Range(0, 1 + random.Next(most)).Select(_ => words[random.Next(words.Length)]));
        var requests = Enumerable.Range(0, 16).Select(_ => (Query: Text(30), Documents: Enumerable.Range(0, 1 + random.Next(6)).Select(_ => Text(80)).ToArray())).ToArray();

        var alone = new List<double[]>();
        foreach (var (query, documents) in requests)
        {
            alone.Add(await RawScoresAsync(server, query, documents));
        }
        var before = BatchCount(await PrometheusText.ScrapeAsync(server.Http), TestServer.RerankerName);

        using var start = new ManualResetEventSlim();
        var clients = requests.Select(request => Task.Run(async () =>
        {
            start.Wait(TestContext.Current.CancellationToken);
            return await RawScoresAsync(server, request.Query, request.Documents);
        })).ToArray();
        start.Set();
        var concurrent = await Task.WhenAll(clients);

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i], concurrent[i]);
        }
        var after = BatchCount(await PrometheusText.ScrapeAsync(server.Http), TestServer.RerankerName);
        Assert.True(after - before < requests.Length, $"{after - before} forward passes for {requests.Length} rerank requests");
    }

    [Fact]
    public async Task CancelledRequest_IsDroppedAndTheServerKeepsServing()
    {
        await using var server = await TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { MaxBatchTokens = 4096 });
        var longText = string.Join(' ', Enumerable.Repeat("token", 2_000));
        var tokensBefore = TokensProcessed(await PrometheusText.ScrapeAsync(server.Http));
        using (var cancel = new CancellationTokenSource())
        {
            // 16 inputs of 2,001 tokens: 8 passes of 4,096 tokens. Cancel once the server holds them.
            var request = server.Http.PostAsJsonAsync("/v1/embeddings", new { input = Enumerable.Repeat(longText, 16).ToArray() }, cancel.Token);
            await WaitForMetricsAsync(server, metrics => QueueDepth(metrics) > 0);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }
        await WaitForMetricsAsync(server, metrics => QueueDepth(metrics) == 0);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "after"}""")).StatusCode);
        // Passes taken before the cancellation ran; the rest of the 32,016 tokens never did.
        var processed = TokensProcessed(await PrometheusText.ScrapeAsync(server.Http)) - tokensBefore;
        Assert.True(processed < 16 * 2_001, $"{processed} tokens processed for a cancelled request of {16 * 2_001}");
    }

    /// <summary>Polls /metrics until <paramref name="condition"/> holds (the server's own state; the test has no other way to see it).</summary>
    private static async Task WaitForMetricsAsync(TestServer server, Func<PrometheusText, bool> condition)
    {
        for (var attempt = 0; attempt < 3000; attempt++)
        {
            if (condition(await PrometheusText.ScrapeAsync(server.Http)))
            {
                return;
            }
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException("the metrics never reached the expected state");
    }

    private static double QueueDepth(PrometheusText metrics) => metrics.Sum("sift_queue_depth", $"model={TestServer.EmbeddingName}");

    private static double TokensProcessed(PrometheusText metrics) => metrics.Sum("sift_tokens_processed_total", $"model={TestServer.EmbeddingName}");

    private static async Task<double[]> RawScoresAsync(TestServer server, string query, string[] documents)
    {
        var response = await server.PostJsonAsync("/rerank", new { query, texts = documents, raw_scores = true });
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.EnumerateArray().OrderBy(r => r.GetProperty("index").GetInt32()).Select(r => r.GetProperty("score").GetDouble()).ToArray();
    }

    private static async Task<float[][]> EmbedAsync(TestServer server, string[] inputs)
    {
        var response = await server.PostJsonAsync("/v1/embeddings", new { input = inputs });
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
    }

    private static double BatchCount(PrometheusText metrics, string model = TestServer.EmbeddingName) => metrics.Sum("sift_batches_total", $"model={model}");
}
