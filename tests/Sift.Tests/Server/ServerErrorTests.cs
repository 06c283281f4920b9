using System.Net;
using System.Text.Json;

namespace Sift.Tests.Server;

/// <summary>Every bad request gets a 4xx with a JSON error body in its route's shape, and the server keeps serving.</summary>
public sealed class ServerErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    public static TheoryData<string, string, string?, string> OpenAiCases() => new()
    {
        { "/v1/embeddings", """{"input": []}""", "input", "'input' is empty" },
        { "/v1/embeddings", """{"input": ""}""", "input", "input 0 is an empty string" },
        { "/v1/embeddings", """{"input": ["ok", ""]}""", "input", "input 1 is an empty string" },
        { "/v1/embeddings", """{"input": 5}""", "input", "'input' must be a string, an array of strings, or token ids, got the number 5" },
        { "/v1/embeddings", """{"input": ["a", 7]}""", "input", "input 1 must be a string or an array of token ids" },
        { "/v1/embeddings", """{"input": [[]]}""", "input", "input 0 is an empty token list" },
        { "/v1/embeddings", """{"model": "qwen3-tiny-embedding"}""", "input", "'input' is required" },
        { "/v1/embeddings", """{"input": "x", "model": "gpt-4"}""", "model", "model 'gpt-4' is not served" },
        { "/v1/embeddings", """{"input": "x", "model": "qwen3-tiny-reranker"}""", "model", "model 'qwen3-tiny-reranker' is not served" },
        { "/v1/embeddings", """{"input": "x", "dimensions": 16}""", "dimensions", "dimensions 16 is outside the valid range 32..64" },
        { "/v1/embeddings", """{"input": "x", "dimensions": "32"}""", "dimensions", "'dimensions' must be an integer, got a string" },
        { "/v1/embeddings", """{"input": "x", "encoding_format": "int8"}""", "encoding_format", "'encoding_format' must be \"float\" or \"base64\"" },
        { "/v1/embeddings", """{"input": "x", "input_type": "passage"}""", "input_type", "'input_type' must be \"query\" or \"document\"" },
        { "/v1/embeddings", """{"input": [5, 999999]}""", "input", "token id 999999, outside the vocabulary" },
        { "/v1/embeddings", """{"input": "\ud800"}""", "input", "lone surrogate" },
        { "/v1/embeddings", """["x"]""", null, "the body must be a JSON object, got an array" },
        { "/v1/embeddings", """{"input": "x" """, null, "the body is not valid JSON" },
        { "/v1/rerank", """{"documents": ["a"]}""", "query", "'query' is required" },
        { "/v1/rerank", """{"query": "", "documents": ["a"]}""", "query", "'query' is an empty string" },
        { "/v1/rerank", """{"query": "q", "documents": []}""", "documents", "'documents' is empty" },
        { "/v1/rerank", """{"query": "q", "documents": "a"}""", "documents", "'documents' must be an array, got a string" },
        { "/v1/rerank", """{"query": "q", "documents": [1]}""", "documents", "documents[0] must be a string or an object with \"text\"" },
        { "/v1/rerank", """{"query": "q", "documents": ["a"], "top_n": -1}""", "top_n", "'top_n' must be at least 1, got -1" },
        { "/v2/rerank", """{"query": "q", "documents": ["a"], "top_n": "2"}""", "top_n", "'top_n' must be an integer" },
        { "/v2/rerank", """{"query": "q", "documents": ["a"], "model": "qwen3-tiny-embedding"}""", "model", "model 'qwen3-tiny-embedding' is not served" },
        { "/v1/rerank", """{"query": 3, "documents": ["a"]}""", "query", "'query' must be a string, got the number 3" },
    };

    public static TheoryData<string, string, string> TeiCases() => new()
    {
        { "/embed", """{"inputs": []}""", "'inputs' is empty" },
        { "/embed", """{"inputs": ""}""", "input 0 is an empty string" },
        { "/embed", """{"inputs": {"text": "x"}}""", "'inputs' must be a string or an array of strings, got an object" },
        { "/embed", """{"inputs": "x", "prompt_name": "passage"}""", "'prompt_name' must be \"query\" or \"document\"" },
        { "/embed", """{"inputs": "x", "truncation_direction": "Up"}""", "'truncation_direction' must be \"Right\" or \"Left\"" },
        { "/embed", """{"inputs": "x", "normalize": "yes"}""", "'normalize' must be true or false, got a string" },
        { "/embed", """{"inputs": "x", "dimensions": 100}""", "dimensions 100 is outside the valid range 32..64" },
        { "/rerank", """{"query": "q", "texts": []}""", "'texts' is empty" },
        { "/rerank", """{"query": "q", "texts": ["a"], "raw_scores": 1}""", "'raw_scores' must be true or false" },
        { "/tokenize", """{"inputs": 5}""", "'inputs' must be a string or an array of strings" },
        { "/decode", """{"ids": []}""", "'ids' must be a non-empty array" },
        { "/decode", """{"ids": [999999]}""", "token id 999999 is outside the vocabulary" },
        { "/decode", """{"ids": ["a"]}""", "'ids' must hold integer token ids, got a string" },
    };

    [Theory]
    [MemberData(nameof(OpenAiCases))]
    public async Task OpenAiRoute_BadRequest_Is400WithOpenAiErrorShape(string path, string body, string? param, string message)
    {
        var response = await Server.PostRawAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").ValueKind == JsonValueKind.Null ? null : error.GetProperty("param").GetString());
        Assert.True(error.TryGetProperty("code", out _));
        Assert.DoesNotContain("   at ", text);
        await AssertStillServingAsync();
    }

    [Theory]
    [MemberData(nameof(TeiCases))]
    public async Task TeiRoute_BadRequest_Is400WithTeiErrorShape(string path, string body, string message)
    {
        var response = await Server.PostRawAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        Assert.Contains(message, json.RootElement.GetProperty("error").GetString());
        Assert.Equal("Validation", json.RootElement.GetProperty("error_type").GetString());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Embeddings_TooManyInputs_Is400NamingTheLimit()
    {
        var response = await Server.PostJsonAsync("/v1/embeddings", new { input = Enumerable.Repeat("x", 513).ToArray() });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("513 inputs", message);
        Assert.Contains("limit is 512", message);
    }

    [Fact]
    public async Task Embeddings_InputOverMaxLength_Is400NamingIndexTokensAndLimit_UnlessTruncated()
    {
        await using var server = await TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { MaxInputLength = 64 });
        var longText = string.Join(' ', Enumerable.Repeat("token", 100));
        var response = await server.PostJsonAsync("/v1/embeddings", new { input = new[] { "short", longText } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.Equal("input 1 has 101 tokens; the limit is 64 (ask for truncation to cut it)", error.GetProperty("message").GetString());
        Assert.Equal("input_too_long", error.GetProperty("code").GetString());

        var truncated = await server.PostJsonAsync("/v1/embeddings", new { input = new[] { "short", longText }, truncate = true });
        Assert.Equal(HttpStatusCode.OK, truncated.StatusCode);
        var usage = JsonDocument.Parse(await truncated.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("usage");
        Assert.Equal(2 + 64, usage.GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task UnknownRoute_Is404AndWrongMethodIs405_WithAJsonErrorInTheRoutesShape()
    {
        var cancel = TestContext.Current.CancellationToken;
        var notFound = await Server.PostRawAsync("/v1/chat/completions", "{}");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        using (var json = JsonDocument.Parse(await notFound.Content.ReadAsStringAsync(cancel)))
        {
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("no route for POST /v1/chat/completions", error.GetProperty("message").GetString());
            Assert.Equal("not_found_error", error.GetProperty("type").GetString());
            Assert.Equal("route_not_found", error.GetProperty("code").GetString());
        }

        var wrongMethod = await Server.Http.GetAsync("/v1/embeddings", cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(["POST"], wrongMethod.Content.Headers.Allow);
        using (var json = JsonDocument.Parse(await wrongMethod.Content.ReadAsStringAsync(cancel)))
        {
            Assert.Equal("GET /v1/embeddings: the route takes POST", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        }

        // TEI's routes answer in TEI's shape.
        var teiWrongMethod = await Server.Http.GetAsync("/embed", cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, teiWrongMethod.StatusCode);
        using (var json = JsonDocument.Parse(await teiWrongMethod.Content.ReadAsStringAsync(cancel)))
        {
            Assert.Equal("GET /embed: the route takes POST", json.RootElement.GetProperty("error").GetString());
        }
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        var response = await Server.PostJsonAsync("/v1/embeddings", new { input = "still here" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
