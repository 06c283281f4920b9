using System.Net;
using System.Text.Json;
using Sift.Engine;
using Sift.Tests.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Server;

public sealed class TeiRouteTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Embed_Inputs_ReturnArraysMatchingTheReference()
    {
        var cases = ReferenceCases.Embedding.Value.Skip(3).Take(3).ToArray();
        using var json = await PostAsync("/embed", new { inputs = cases.Select(c => c.Text).ToArray() });
        var vectors = json.RootElement.EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.True(vectors[i].Select((v, c) => Math.Abs(v - cases[i].Embedding[c])).Max() < 1e-4);
        }
        using var single = await PostAsync("/embed", new { inputs = cases[0].Text, dimensions = 32 });
        var dim32 = single.RootElement[0].EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.True(dim32.Select((v, c) => Math.Abs(v - cases[0].EmbeddingDim32[c])).Max() < 1e-4);
    }

    [Fact]
    public async Task Embed_PromptNameQueryAndNormalizeFalse_AreHonoured()
    {
        var query = ReferenceCases.Embedding.Value[0];
        using var json = await PostAsync("/embed", new { inputs = "What is the capital of China?", prompt_name = "query", normalize = false });
        var raw = json.RootElement[0].EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var norm = MathF.Sqrt(raw.Sum(v => v * v));
        Assert.True(Math.Abs(norm - 1) > 1e-3);
        Assert.True(raw.Select((v, c) => Math.Abs(v / norm - query.Embedding[c])).Max() < 1e-4);
    }

    [Fact]
    public async Task Embed_TruncateWithDirection_CutsTheChosenEnd()
    {
        await using var server = await TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { MaxInputLength = 32 });
        var longText = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}"));
        var refused = await server.PostJsonAsync("/embed", new { inputs = longText });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var right = await PostAsync(server, "/embed", new { inputs = longText, truncate = true });
        using var left = await PostAsync(server, "/embed", new { inputs = longText, truncate = true, truncation_direction = "Left" });
        var options = new EmbedOptions { Truncate = true, MaxLength = 32 };
        var expectedRight = ModelFixtures.Embedder.Value.Embed([EmbeddingInput.Document(longText)], options)[0].Vector;
        var expectedLeft = ModelFixtures.Embedder.Value.Embed([EmbeddingInput.Document(longText)], options with { TruncateFromStart = true })[0].Vector;
        Assert.Equal(expectedRight, right.RootElement[0].EnumerateArray().Select(x => x.GetSingle()).ToArray());
        Assert.Equal(expectedLeft, left.RootElement[0].EnumerateArray().Select(x => x.GetSingle()).ToArray());
        Assert.NotEqual(expectedRight, expectedLeft);
    }

    [Fact]
    public async Task Tokenize_ReturnsIdsTextsAndByteOffsets()
    {
        using var json = await PostAsync("/tokenize", new { inputs = new[] { "Hello world", "日本" } });
        var first = json.RootElement[0].EnumerateArray().ToArray();
        Assert.Equal([9707, 1879, 151643], first.Select(t => t.GetProperty("id").GetInt32()).ToArray());
        Assert.Equal(["Hello", " world"], first.Take(2).Select(t => t.GetProperty("text").GetString()!).ToArray());
        Assert.Equal([0, 5], first.Take(2).Select(t => t.GetProperty("start").GetInt32()).ToArray());
        Assert.Equal([5, 11], first.Take(2).Select(t => t.GetProperty("stop").GetInt32()).ToArray());
        Assert.True(first[2].GetProperty("special").GetBoolean());

        var second = json.RootElement[1].EnumerateArray().ToArray();
        var expected = ModelFixtures.Embedder.Value.Tokenizer.Encode("日本");
        Assert.Equal(expected, second.Select(t => t.GetProperty("id").GetInt32()).ToArray());
        Assert.Equal(6, second.Where(t => !t.GetProperty("special").GetBoolean()).Max(t => t.GetProperty("stop").GetInt32()));

        using var noSpecial = await PostAsync("/tokenize", new { inputs = "Hello world", add_special_tokens = false });
        Assert.Equal(2, noSpecial.RootElement[0].GetArrayLength());
    }

    [Fact]
    public async Task Responses_AreUtf8JsonWithoutUnicodeEscapes()
    {
        var response = await Server.PostJsonAsync("/tokenize", new { inputs = "日本<|im_end|>" });
        var raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"text\":\"<|im_end|>\"", raw);
        Assert.Contains("日本", raw);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Decode_SingleAndBatch_RoundTripTokenize()
    {
        using var one = await PostAsync("/decode", new { ids = new[] { 9707, 1879, 151643 } });
        Assert.Equal("Hello world", one.RootElement.GetString());
        using var kept = await PostAsync("/decode", new { ids = new[] { 9707, 151643 }, skip_special_tokens = false });
        Assert.Equal("Hello<|endoftext|>", kept.RootElement.GetString());
        using var many = await PostAsync("/decode", new { ids = new[] { new[] { 9707 }, new[] { 1879 } } });
        Assert.Equal(["Hello", " world"], many.RootElement.EnumerateArray().Select(s => s.GetString()!).ToArray());
    }

    [Fact]
    public async Task HealthReadyMetricsAndOpenApi_Answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
        using var ready = JsonDocument.Parse(await Server.Http.GetStringAsync("/ready", TestContext.Current.CancellationToken));
        Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());

        await PostAsync("/embed", new { inputs = "count me" });
        var metrics = await PrometheusText.ScrapeAsync(Server.Http);
        Assert.Equal("counter", metrics.TypeOf("sift_requests_total"));
        Assert.True(metrics.Single("sift_requests_total", "route=POST /embed", "status=200") >= 1);
        Assert.True(metrics.Single("sift_request_duration_seconds_bucket", "route=POST /embed", "le=+Inf") >= 1);
        Assert.True(metrics.Single("sift_batch_size_count", "model=qwen3-tiny-embedding") >= 1);
        Assert.NotEmpty(metrics.Values("sift_batch_tokens_bucket", "model=qwen3-tiny-embedding"));
        Assert.True(metrics.Single("sift_tokens_processed_total", "model=qwen3-tiny-embedding") >= 1);
        Assert.Equal(0, metrics.Single("sift_queue_depth", "model=qwen3-tiny-embedding"));
        Assert.True(metrics.Single("sift_model_load_seconds", "model=qwen3-tiny-reranker") > 0);

        using var openApi = JsonDocument.Parse(await Server.Http.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));
        var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        foreach (var path in new[] { "/v1/embeddings", "/v1/rerank", "/v2/rerank", "/rerank", "/embed", "/tokenize", "/decode", "/v1/models", "/health", "/ready" })
        {
            Assert.Contains(path, paths);
        }
    }

    private Task<JsonDocument> PostAsync(string path, object body) => PostAsync(Server, path, body);

    private static async Task<JsonDocument> PostAsync(TestServer server, string path, object body)
    {
        var response = await server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text);
    }
}
