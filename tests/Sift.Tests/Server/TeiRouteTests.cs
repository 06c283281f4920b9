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
    public async Task Tokenize_TextNfcChanges_OffsetsAndTextsAreTheInputs()
    {
        // "Cafe" + U+0301 + " 한" written as jamo: NFC makes "Café 한" (9 bytes), the input is 14.
        const string text = "Cafe\u0301 \u1112\u1161\u11AB";
        var input = System.Text.Encoding.UTF8.GetBytes(text);
        using var json = await PostAsync("/tokenize", new { inputs = text });
        var tokens = json.RootElement[0].EnumerateArray().Where(t => !t.GetProperty("special").GetBoolean()).ToArray();
        Assert.Equal(input.Length, tokens[^1].GetProperty("stop").GetInt32());
        var accent = tokens.Single(t => t.GetProperty("start").GetInt32() <= 3 && t.GetProperty("stop").GetInt32() > 3);
        Assert.Equal((3, 6, "e\u0301"), (accent.GetProperty("start").GetInt32(), accent.GetProperty("stop").GetInt32(), accent.GetProperty("text").GetString()));
        // Each token's text is the input's bytes its offsets name.
        foreach (var token in tokens)
        {
            var (start, stop) = (token.GetProperty("start").GetInt32(), token.GetProperty("stop").GetInt32());
            Assert.Equal(System.Text.Encoding.UTF8.GetString(input, start, stop - start), token.GetProperty("text").GetString());
        }
        Assert.Contains(tokens, t => t.GetProperty("text").GetString()!.Contains("\u1112\u1161\u11AB", StringComparison.Ordinal));
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

    [Fact]
    public async Task TokenizeAndDecode_ApplyTheBatchSizeAndInputLengthLimits()
    {
        await using var server = await TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { MaxClientBatchSize = 2, MaxInputLength = 40 });
        var longText = string.Join(' ', Enumerable.Repeat("word", 60));
        foreach (var (path, body, message) in new (string, object, string)[]
        {
            ("/tokenize", new { inputs = new[] { "a", "b", "c" } }, "'inputs' has 3 inputs; the limit is 2"),
            ("/tokenize", new { inputs = new[] { "a", longText } }, "input 1 has 61 tokens; the limit is 40"),
            ("/decode", new { ids = new[] { new[] { 1 }, new[] { 2 }, new[] { 3 } } }, "'ids' has 3 token lists; the limit is 2"),
            ("/decode", new { ids = Enumerable.Repeat(1879, 41).ToArray() }, "input 0 has 41 tokens; the limit is 40"),
        })
        {
            var response = await server.PostJsonAsync(path, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Contains(message, error.RootElement.GetProperty("error").GetString());
        }
        using var ok = await PostAsync(server, "/tokenize", new { inputs = new[] { "a", "b" } });
        Assert.Equal(2, ok.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Root_AnswersAsTeiDoes_EmbeddingsForInputsAndRerankForQueryAndTexts()
    {
        using var embedded = await PostAsync("/", new { inputs = new[] { "a", "b" } });
        using var viaEmbed = await PostAsync("/embed", new { inputs = new[] { "a", "b" } });
        Assert.Equal(viaEmbed.RootElement.GetRawText(), embedded.RootElement.GetRawText());
        using var reranked = await PostAsync("/", new { query = "q", texts = new[] { "x", "y" }, raw_scores = true });
        using var viaRerank = await PostAsync("/rerank", new { query = "q", texts = new[] { "x", "y" }, raw_scores = true });
        Assert.Equal(viaRerank.RootElement.GetRawText(), reranked.RootElement.GetRawText());

        var bad = await Server.PostRawAsync("/", """{"inputs": 5}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Validation", error.RootElement.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task HuggingFaceInferenceClient_PointedAtTheServer_GetsTheEmbeddings()
    {
        Support.NodeClients.Require("@huggingface/inference");
        var cases = ReferenceCases.Embedding.Value.Skip(3).Take(2).ToArray();
        var lines = (await Support.NodeClients.RunAsync("hf-inference.mjs", [Server.Address.ToString().TrimEnd('/'), .. cases.Select(c => c.Text)]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // One line per text (a vector), then one for both (a list of vectors).
        for (var i = 0; i < cases.Length; i++)
        {
            var vector = JsonSerializer.Deserialize<float[][]>(lines[i])!.Single();
            Assert.True(vector.Select((v, k) => Math.Abs(v - cases[i].Embedding[k])).Max() < 1e-4);
        }
        Assert.Equal(cases.Length, JsonSerializer.Deserialize<float[][]>(lines[^1])!.Length);
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
