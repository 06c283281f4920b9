using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Server.Caching;
using Sift.Server.Hosting;

namespace Sift.Tests.Server;

/// <summary>The in-process result cache (--cache memory, the default): hits, misses, exact bytes, keys, bounds.</summary>
public sealed partial class CacheTests
{
    private const string Query = "What is the capital of China?";

    private static readonly string[] Documents =
        ["The capital of China is Beijing.", "Gravity is a force.", "a", "zzz", "Paris is in France.", "1234"];

    [Fact]
    public async Task Rerank_SameRequestTwice_SecondIsAHitWithTheSameBytes()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var path in new[] { "/v1/rerank", "/v2/rerank", "/rerank" })
        {
            // Each route its own query: a route must not be answered from another's entries in this test.
            var query = $"{Query} ({path})";
            object body = path == "/rerank"
                ? new { query, texts = Documents[..3], raw_scores = true, return_text = true }
                : new { query, documents = Documents[..3], return_documents = true, top_n = 2 };
            var hitsBefore = await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"rerank\",result=\"hit\"}");
            var missesBefore = await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"rerank\",result=\"miss\"}");

            var (first, firstStatus) = await PostAsync(server, path, body);
            var (second, secondStatus) = await PostAsync(server, path, body);

            Assert.Equal(("miss", "hit"), (firstStatus, secondStatus));
            Assert.Equal(WithoutId(first), WithoutId(second));
            Assert.Equal(hitsBefore + 3, await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"rerank\",result=\"hit\"}"));
            Assert.Equal(missesBefore + 3, await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"rerank\",result=\"miss\"}"));
        }
    }

    [Fact]
    public async Task Rerank_PartlyCached_AnswersTheBytesAComputationAnswers()
    {
        await using var cached = await TestServer.StartAsync();
        await using var uncached = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        await PostAsync(cached, "/v1/rerank", new { query = Query, documents = new[] { Documents[0], Documents[3] } });
        var body = new { query = Query, documents = new[] { Documents[1], Documents[0], Documents[2], Documents[3] }, return_documents = true };

        var (partial, status) = await PostAsync(cached, "/v1/rerank", body);
        var (computed, uncachedStatus) = await PostAsync(uncached, "/v1/rerank", body);

        Assert.Equal("partial", status);
        Assert.Null(uncachedStatus);
        Assert.Equal(WithoutId(computed), WithoutId(partial));
    }

    [Fact]
    public async Task Embeddings_SameRequestTwice_SecondIsAHitWithTheSameBytes()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var (path, encoding) in new[] { ("/v1/embeddings", "float"), ("/v1/embeddings", "base64"), ("/embed", null) })
        {
            string[] texts = [$"first text {path} {encoding}", "second text " + encoding];
            object body = path == "/embed"
                ? new { inputs = texts, prompt_name = "query", dimensions = 48 }
                : new { input = texts, encoding_format = encoding, input_type = "query", dimensions = 48 };

            var (first, firstStatus) = await PostAsync(server, path, body);
            var (second, secondStatus) = await PostAsync(server, path, body);

            Assert.Equal(("miss", "hit"), (firstStatus, secondStatus));
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public async Task Embeddings_TokenIdInputs_AreComputedEveryTime()
    {
        await using var server = await TestServer.StartAsync();
        await PostAsync(server, "/v1/embeddings", new { input = "hello" });

        var (_, tokensOnly) = await PostAsync(server, "/v1/embeddings", new { input = new[] { 9707, 1879 } });
        var (_, again) = await PostAsync(server, "/v1/embeddings", new { input = new[] { 9707, 1879 } });
        var mixed = await server.PostRawAsync("/v1/embeddings", """{"input": ["hello", [9707, 1879]]}""");

        Assert.Equal(("miss", "miss"), (tokensOnly, again));
        Assert.Equal("partial", mixed.Headers.GetValues(CacheStatus.Header).Single());
    }

    [Fact]
    public async Task Keys_EverythingThatChangesTheResult_IsADifferentEntry()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { MaxInputLength = 64 });
        await PostAsync(server, "/v1/embeddings", new { input = "hello", dimensions = 48 });
        await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" } });

        Assert.Equal("miss", (await PostAsync(server, "/v1/embeddings", new { input = "hello", dimensions = 32 })).Status);
        Assert.Equal("miss", (await PostAsync(server, "/v1/embeddings", new { input = "hello", dimensions = 48, input_type = "query" })).Status);
        Assert.Equal("miss", (await PostAsync(server, "/v1/embeddings", new { input = "hello", dimensions = 48, instruction = "Find code" })).Status);
        Assert.Equal("miss", (await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" }, instruction = "Find code" })).Status);
        Assert.Equal("miss", (await PostAsync(server, "/v1/rerank", new { query = Query + "!", documents = new[] { "a" } })).Status);
        Assert.Equal("hit", (await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" } })).Status);

        // A document cut to fit under truncation is cached; a request that forbids cutting must still be refused.
        var longDocument = string.Join(' ', Enumerable.Repeat("word", 200));
        await PostAsync(server, "/rerank", new { query = Query, texts = new[] { longDocument }, truncate = true });
        var refused = await server.PostJsonAsync("/rerank", new { query = Query, texts = new[] { longDocument }, truncate = false });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // Here the template and the query alone fill the 64-token limit: the refusal names them, not the document.
        Assert.Contains("of the 64-token limit; no room is left for the document", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Cache_PastItsSize_DropsTheLeastRecentlyUsedEntry()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Size = 4 } });
        foreach (var document in new[] { "A", "B", "C", "D" })
        {
            await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { document } });
        }
        Assert.Equal(4, await Metrics.ReadAsync(server, "sift_cache_entries"));
        Assert.Equal("hit", (await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "A" } })).Status);

        // Full: E is not kept, and MemoryCache makes room in the background, least recently used first (B).
        await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "E" } });
        await Eventually(async () => await Metrics.ReadAsync(server, "sift_cache_entries") < 4);

        Assert.Equal("miss", (await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "B" } })).Status);
        Assert.Equal("hit", (await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "A" } })).Status);
        Assert.True(await Metrics.ReadAsync(server, "sift_cache_entries") <= 4);
    }

    [Fact]
    public async Task CacheNone_LooksNothingUpAndSaysNothing()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Cache = new CacheOptions { Backend = CacheBackend.None } });
        await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" } });
        var (_, status) = await PostAsync(server, "/v1/rerank", new { query = Query, documents = new[] { "a" } });

        Assert.Null(status);
        Assert.Equal(0, await Metrics.SumAsync(server, "sift_cache_requests_total"));
    }

    [Theory]
    [InlineData("memory", CacheBackend.Memory, null, 0)]
    [InlineData("none", CacheBackend.None, null, 0)]
    [InlineData("redis://127.0.0.1:6390/2", CacheBackend.Redis, "127.0.0.1:6390", 2)]
    [InlineData("redis://cache.internal", CacheBackend.Redis, "cache.internal:6379", 0)]
    public void Parse_AcceptsTheDocumentedForms(string spec, CacheBackend backend, string? endpoint, int database)
    {
        var options = CacheOptions.Parse(spec, 10, TimeSpan.FromMinutes(5));
        Assert.Equal((backend, endpoint, database, 10, TimeSpan.FromMinutes(5)), (options.Backend, options.RedisEndpoint, options.RedisDatabase, options.Size, options.Ttl));
        Assert.Null(options.RedisPassword);
    }

    [Theory]
    [InlineData("redis://:s%40cret@10.0.0.5:6380/1", null, "s@cret", false)]
    [InlineData("rediss://sift:pw@cache.internal", "sift", "pw", true)]
    public void Parse_TakesCredentialsAndTls_AndNeverPrintsThePassword(string spec, string? user, string password, bool tls)
    {
        var options = CacheOptions.Parse(spec, 10, TimeSpan.FromMinutes(5));
        Assert.Equal((user, password, tls), (options.RedisUser, options.RedisPassword, options.RedisTls));
        Assert.DoesNotContain(password, options.ToString());
        var badDatabase = spec.EndsWith("/1", StringComparison.Ordinal) ? spec[..^1] + "x" : spec + "/x";
        var error = Assert.ThrowsAny<ArgumentException>(() => CacheOptions.Parse(badDatabase, 10, TimeSpan.FromHours(1)));
        Assert.Contains("***", error.Message);
        Assert.DoesNotContain(password, error.Message);
    }

    [Theory]
    [InlineData("disk")]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("redis://127.0.0.1:6379/x")]
    [InlineData("redis://127.0.0.1:6379?ssl=true")]
    public void Parse_RefusesOtherForms_NamingTheValue(string spec)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => CacheOptions.Parse(spec, 10, TimeSpan.FromHours(1)));
        Assert.Contains(spec.Split('/')[^1].Split('?')[0], error.Message);
    }

    internal static async Task<(string Body, string? Status)> PostAsync(TestServer server, string path, object body)
    {
        using var response = await server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (text, response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : null);
    }

    /// <summary>The body with the Cohere response's id (a fresh GUID per response) blanked.</summary>
    internal static string WithoutId(string body) => IdPattern().Replace(body, "\"id\":\"\"");

    /// <summary>Waits for a condition the server reaches in the background, for at most <paramref name="seconds"/>.</summary>
    internal static async Task Eventually(Func<Task<bool>> condition, int seconds = 10)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"the condition did not hold within {seconds} s");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex("\"id\":\"[0-9a-f-]{36}\"")]
    private static partial Regex IdPattern();
}
