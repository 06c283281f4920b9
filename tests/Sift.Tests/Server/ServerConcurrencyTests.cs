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
        var sequences = requests.Sum(r => r.Length);
        // Real batching: fewer forward passes than sequences.
        Assert.True(after - before < sequences, $"{after - before} forward passes for {sequences} sequences");
    }

    [Fact]
    public async Task CancelledRequest_IsDroppedAndTheServerKeepsServing()
    {
        await using var server = await TestServer.StartAsync();
        var longText = string.Join(' ', Enumerable.Repeat("token", 2_000));
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(30)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                server.Http.PostAsJsonAsync("/v1/embeddings", new { input = Enumerable.Repeat(longText, 8).ToArray() }, cancel.Token));
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "after"}""")).StatusCode);
        PrometheusText metrics;
        var waited = 0;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            metrics = await PrometheusText.ScrapeAsync(server.Http);
        }
        while (metrics.Single("sift_queue_depth", "model=qwen3-tiny-embedding") != 0 && ++waited < 200);
        Assert.Equal(0, metrics.Single("sift_queue_depth", "model=qwen3-tiny-embedding"));
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

    private static double BatchCount(PrometheusText metrics) => metrics.Sum("sift_batches_total", "model=qwen3-tiny-embedding");
}
