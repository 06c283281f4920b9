using System.Net;
using System.Text.Json;
using Sift.Engine;
using Sift.Server.Hosting;
using Sift.Tests.Engine;
using Sift.Tests.Engine.LongDocuments;

namespace Sift.Tests.Server;

/// <summary>A server whose input limit is small enough that short texts need windows.</summary>
public sealed class LongDocumentServerFixture : IAsyncLifetime
{
    /// <summary>The input limit: windows of 99 content tokens for embeddings; what the rerank template and query leave for documents.</summary>
    public const int Limit = 100;

    public TestServer Server { get; private set; } = null!;

    // A small token budget: a document's windows take several forward passes, as long documents do.
    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(new ServerOptions { MaxInputLength = Limit, MaxBatchTokens = 150 });

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>long_document_strategy, window_overlap and return_windows on the OpenAI, TEI and Cohere routes.</summary>
public sealed class LongDocumentRouteTests(LongDocumentServerFixture fixture) : IClassFixture<LongDocumentServerFixture>
{
    private const int Overlap = 8;
    private TestServer Server => fixture.Server;

    /// <summary>About 300 tokens: four embedding windows of 99.</summary>
    private static readonly string LongText = string.Join(" ", Enumerable.Range(1, 5).Select(i => $"Part {i}. {LongDocumentEngineTests.LongText}"));

    [Fact]
    public async Task OpenAiEmbeddings_ChunkInputThatFits_IsBitwiseTheDefaultAnswer()
    {
        using var plain = await PostAsync("/v1/embeddings", new { input = "A short document." });
        using var chunked = await PostAsync("/v1/embeddings", new { input = "A short document.", long_document_strategy = "chunk", window_overlap = Overlap });
        Assert.Equal(Vector(plain.RootElement.GetProperty("data")[0]), Vector(chunked.RootElement.GetProperty("data")[0]));
        Assert.Equal(Usage(plain), Usage(chunked));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(32)]
    public async Task OpenAiEmbeddings_ChunkLongInput_IsTheWeightedMeanOfItsWindowsEmbeddedAsTokenIds(int? dimensions)
    {
        using var chunked = await PostAsync("/v1/embeddings",
            new { input = LongText, long_document_strategy = "chunk", window_overlap = Overlap, return_windows = true, dimensions });
        var item = chunked.RootElement.GetProperty("data")[0];
        var windows = item.GetProperty("windows").EnumerateArray().Select(w => (Start: w.GetProperty("start").GetInt32(), End: w.GetProperty("end").GetInt32())).ToArray();

        // The windows' token ids, from the fixture's tokenizer (the server's /tokenize refuses inputs over its limit), cut as the rule says.
        var content = ModelFixtures.Embedder.Value.Tokenizer.Encode(LongText, addSpecialTokens: false);
        var window = LongDocumentServerFixture.Limit - 1;
        var expectedSpans = new List<(int Start, int End)>();
        for (var start = 0; expectedSpans.Count == 0 || expectedSpans[^1].End < content.Length; start += window - Overlap)
        {
            expectedSpans.Add((start, Math.Min(start + window, content.Length)));
        }
        Assert.True(expectedSpans.Count >= 3, $"{content.Length} tokens make {expectedSpans.Count} windows; the test needs several");
        Assert.Equal(expectedSpans, windows);

        // Each window embedded alone, as token ids, at full width; then the weighted mean, cut and normalized here.
        using var alone = await PostAsync("/v1/embeddings", new { input = expectedSpans.Select(s => content[s.Start..s.End]).ToArray() });
        var vectors = alone.RootElement.GetProperty("data").EnumerateArray().Select(Vector).ToArray();
        var width = dimensions ?? vectors[0].Length;
        var mean = new double[width];
        for (var k = 0; k < vectors.Length; k++)
        {
            for (var i = 0; i < width; i++)
            {
                mean[i] += (expectedSpans[k].End - expectedSpans[k].Start) * (double)vectors[k][i];
            }
        }
        var norm = Math.Sqrt(mean.Sum(v => v * v));
        var actual = Vector(item);
        Assert.Equal(width, actual.Length);
        Assert.All(Enumerable.Range(0, width), i => Assert.True(Math.Abs(mean[i] / norm - actual[i]) <= 1e-6, $"component {i}: {mean[i] / norm} vs {actual[i]}"));
        // usage counts every token read: each window's content and its <|endoftext|>.
        Assert.Equal(expectedSpans.Sum(s => s.End - s.Start + 1), Usage(chunked));
        Assert.Equal(Usage(alone), Usage(chunked));
    }

    [Fact]
    public async Task TeiEmbed_ChunkLongInput_IsTheOpenAiRoutesVector()
    {
        using var openAi = await PostAsync("/v1/embeddings", new { input = LongText, long_document_strategy = "chunk", window_overlap = Overlap });
        using var tei = await PostAsync("/embed", new { inputs = LongText, long_document_strategy = "chunk", window_overlap = Overlap });
        Assert.Equal(Vector(openAi.RootElement.GetProperty("data")[0]), tei.RootElement[0].EnumerateArray().Select(x => x.GetSingle()).ToArray());
    }

    [Fact]
    public async Task Rerank_ChunkLongDocument_IsTheBestOfItsWindowsScoredAlone()
    {
        const string query = "how is a long document scored?";
        using var cohere = await PostAsync("/v1/rerank",
            new { query, documents = new[] { "A short one.", LongText }, long_document_strategy = "chunk", window_overlap = Overlap, return_windows = true });
        var results = cohere.RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32());
        var best = results[1];
        var windowCount = best.GetProperty("windows").GetInt32();
        Assert.True(windowCount >= 3, $"the document took {windowCount} windows; the test needs several");

        // Every window's prompt, built and scored here one at a time with the fixture reranker at the server's limit.
        var reranker = ModelFixtures.Reranker.Value;
        var tokenizer = reranker.Tokenizer;
        var shared = tokenizer.Encode(Prompts.RerankPrefix + Prompts.RerankSharedBody(query), addSpecialTokens: false);
        var suffix = tokenizer.Encode(Prompts.RerankSuffix, addSpecialTokens: false);
        var content = tokenizer.Encode(Prompts.RerankDocumentPart(LongText), addSpecialTokens: false);
        var room = LongDocumentServerFixture.Limit - shared.Length - suffix.Length;
        var scores = new List<(float Score, int Start, int End)>();
        for (var start = 0; scores.Count == 0 || scores[^1].End < content.Length; start += room - Overlap)
        {
            var end = Math.Min(start + room, content.Length);
            int[] prompt = [.. shared, .. content[start..end], .. suffix];
            var hidden = reranker.ComputeHidden([new ModelSequence(prompt)], CancellationToken.None)[0];
            scores.Add((reranker.ScoreHidden(0, hidden, prompt.Length).Score, start, end));
        }
        var top = scores.Select((s, k) => (s.Score, k)).MaxBy(s => s.Score);
        Assert.Equal(scores.Count, windowCount);
        Assert.Equal(top.Score, best.GetProperty("relevance_score").GetSingle(), 1e-6f);
        Assert.Equal(top.k, best.GetProperty("window").GetInt32());
        Assert.Equal(scores[top.k].Start, best.GetProperty("window_span").GetProperty("start").GetInt32());
        Assert.Equal(scores[top.k].End, best.GetProperty("window_span").GetProperty("end").GetInt32());

        // usage: the shared part once, then each prompt's own tokens (one prompt for the short document, one per window for the long).
        var shortOwn = tokenizer.Encode(Prompts.RerankDocumentPart("A short one."), addSpecialTokens: false).Length + suffix.Length;
        var windowsOwn = scores.Sum(s => s.End - s.Start + suffix.Length);
        Assert.Equal(shared.Length + shortOwn + windowsOwn, cohere.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        // TEI's shape scores the same way.
        using var tei = await PostAsync("/rerank", new { query, texts = new[] { LongText }, long_document_strategy = "chunk", window_overlap = Overlap, return_windows = true });
        Assert.Equal(best.GetProperty("relevance_score").GetSingle(), tei.RootElement[0].GetProperty("score").GetSingle());
        Assert.Equal(top.k, tei.RootElement[0].GetProperty("window").GetInt32());
    }

    [Fact]
    public async Task Rerank_ChunkDocumentThatFits_IsBitwiseTheDefaultScore()
    {
        using var plain = await PostAsync("/v1/rerank", new { query = "q", documents = new[] { "A short one." } });
        using var chunked = await PostAsync("/v1/rerank", new { query = "q", documents = new[] { "A short one." }, long_document_strategy = "chunk", window_overlap = Overlap });
        Assert.Equal(plain.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle(),
            chunked.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle());
        Assert.False(chunked.RootElement.GetProperty("results")[0].TryGetProperty("window", out _));
    }

    public static TheoryData<string, string, string, string> BadRequests() => new()
    {
        { "/v1/embeddings", """{"input": "x", "long_document_strategy": "split"}""", "long_document_strategy", "'long_document_strategy' must be \"truncate\", \"chunk\" or \"error\", got \"split\"" },
        { "/v1/embeddings", """{"input": "PLACEHOLDER", "long_document_strategy": "chunk", "window_overlap": 99}""", "window_overlap", "tokens: window overlap 99 must be smaller than the window of 99 document tokens" },
        { "/v1/embeddings", """{"input": "x", "long_document_strategy": "chunk", "window_overlap": -1}""", "window_overlap", "window overlap -1 is negative" },
        { "/v1/embeddings", """{"input": "x", "long_document_strategy": "chunk", "window_overlap": "8"}""", "window_overlap", "'window_overlap' must be an integer" },
        { "/v1/embeddings", """{"input": "x", "window_overlap": 8}""", "window_overlap", "'window_overlap' applies to \"long_document_strategy\": \"chunk\"; this request's strategy is \"error\"" },
        { "/v1/embeddings", """{"input": "x", "truncate": true, "return_windows": true}""", "return_windows", "this request's strategy is \"truncate\"" },
        { "/v1/embeddings", """{"input": "x", "long_document_strategy": "chunk", "window_overlap": 0, "input_type": "query", "instruction": "PLACEHOLDER"}""", "input", "tokens; the limit is 100" },
        { "/v1/rerank", """{"query": "q", "documents": ["PLACEHOLDER"], "long_document_strategy": "chunk", "window_overlap": 1000}""", "window_overlap", "tokens: window overlap 1000 must be smaller than the window of" },
        // Errors name the field the request used: "passages" (SGLang's name) and "documents", never the engine's "input".
        { "/v1/rerank", """{"query": "q", "passages": ["PLACEHOLDER"], "long_document_strategy": "error"}""", "passages", "document 0 makes a prompt of" },
        { "/v1/rerank", """{"query": "q", "documents": ["HUGE"], "long_document_strategy": "chunk", "window_overlap": 8}""", "documents", "the limit is 64 windows (--max-windows)" },
        { "/v2/rerank", """{"query": "q", "documents": ["HUGE"], "long_document_strategy": "chunk", "window_overlap": 8}""", "documents", "the limit is 64 windows (--max-windows)" },
        { "/v1/rerank", """{"query": "q", "documents": ["a"], "long_document_strategy": 3}""", "long_document_strategy", "'long_document_strategy' must be a string" },
        { "/v1/rerank", """{"query": "PLACEHOLDER", "documents": ["a"], "long_document_strategy": "chunk", "window_overlap": 0}""", "query", "no room is left for the document" },
        { "/embed", """{"inputs": "x", "long_document_strategy": "chunk", "window_overlap": 8, "return_windows": true}""", "return_windows", "TEI's /embed answers bare arrays" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadLongDocumentSettings_Are400NamingTheValue_AndTheServerKeepsServing(string path, string body, string param, string message)
    {
        var response = await Server.PostRawAsync(path, body.Replace("PLACEHOLDER", string.Join(' ', Enumerable.Repeat("long words here", 60)))
            .Replace("HUGE", string.Join(' ', Enumerable.Repeat(LongDocumentEngineTests.LongText, 150))));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Contains(message, error.ValueKind == JsonValueKind.Object ? error.GetProperty("message").GetString() : error.GetString());
        if (error.ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
        using var ok = await PostAsync("/v1/embeddings", new { input = "still here" });
    }

    [Fact]
    public async Task ChunkDocumentNeedingTooManyWindows_Is400NamingTheLimit()
    {
        var huge = string.Join(' ', Enumerable.Repeat(LongDocumentEngineTests.LongText, 150));
        var response = await Server.PostJsonAsync("/v1/embeddings", new { input = new[] { "fine", huge }, long_document_strategy = "chunk", window_overlap = Overlap });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.StartsWith("document 1 has ", error.GetProperty("message").GetString());
        Assert.EndsWith("the limit is 64 windows (--max-windows)", error.GetProperty("message").GetString());
        Assert.Equal("too_many_windows", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task DefaultsStayAsBefore_EmbeddingsRefuseAndCohereRerankTruncates()
    {
        var refused = await Server.PostJsonAsync("/v1/embeddings", new { input = LongText });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var truncated = await PostAsync("/v1/rerank", new { query = "q", documents = new[] { LongText } });
        using var explicitTruncate = await PostAsync("/v1/rerank", new { query = "q", documents = new[] { LongText }, long_document_strategy = "truncate" });
        Assert.Equal(truncated.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle(),
            explicitTruncate.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle());
        var error = await Server.PostJsonAsync("/v1/rerank", new { query = "q", documents = new[] { LongText }, long_document_strategy = "error" });
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
    }

    [Fact]
    public async Task ServeFlagChunk_MakesChunkEveryRoutesDefault()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            MaxInputLength = LongDocumentServerFixture.Limit,
            LongDocuments = Sift.Abstractions.LongDocumentStrategy.Chunk,
            WindowOverlap = Overlap,
        });
        var response = await server.PostJsonAsync("/v1/embeddings", new { input = LongText });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var flagged = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var asked = await PostAsync("/v1/embeddings", new { input = LongText, long_document_strategy = "chunk", window_overlap = Overlap });
        Assert.Equal(Vector(asked.RootElement.GetProperty("data")[0]), Vector(flagged.RootElement.GetProperty("data")[0]));
    }

    [Fact]
    public async Task Embeddings_ChunkRequestReadingMoreThanTheTokenLimit_Is400NamingBoth_BeforeAnyWindowIsComputed()
    {
        // 512 inputs of W + 63 token ids with overlap W − 1: 64 windows of 100 tokens each, 3,276,800 tokens in all.
        var window = LongDocumentServerFixture.Limit - 1;
        var ids = Enumerable.Range(0, window + 63).Select(i => 100 + i % 500).ToArray();
        var response = await Server.PostJsonAsync("/v1/embeddings", new
        {
            input = Enumerable.Repeat(ids, 512).ToArray(),
            long_document_strategy = "chunk",
            window_overlap = window - 1,
            return_windows = true,
        });
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        // The default limit, 2^20 tokens, is first passed by input 163: 164 × 6400 = 1,049,600.
        Assert.Equal("the inputs up to input 163 read 1049600 tokens in windows; the limit is 1048576 tokens per request (--max-window-tokens): "
            + "send fewer or shorter inputs, or a smaller window_overlap", error.GetProperty("message").GetString());
        Assert.Equal(("input", "too_many_tokens"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        using var ok = await PostAsync("/v1/embeddings", new { input = "still here" });
    }

    [Fact]
    public async Task ChunkWithoutAnOverlap_OnAWindowSmallerThanTheDefaultOverlap_FitsAreBitwiseAndLongInputsOverlapByHalfTheWindow()
    {
        // The server's overlap is the default 1280, more than this server's 99-token window.
        using var plain = await PostAsync("/v1/embeddings", new { input = "hi" });
        using var chunked = await PostAsync("/v1/embeddings", new { input = "hi", long_document_strategy = "chunk" });
        Assert.Equal(Vector(plain.RootElement.GetProperty("data")[0]), Vector(chunked.RootElement.GetProperty("data")[0]));

        using var windowed = await PostAsync("/v1/embeddings", new { input = LongText, long_document_strategy = "chunk", return_windows = true });
        var spans = windowed.RootElement.GetProperty("data")[0].GetProperty("windows").EnumerateArray().Select(w => w.GetProperty("start").GetInt32()).ToArray();
        var window = LongDocumentServerFixture.Limit - 1;
        Assert.True(spans.Length >= 3, $"{spans.Length} windows; the test needs several");
        Assert.Equal(Enumerable.Range(0, spans.Length).Select(k => k * (window - window / 2)), spans);
    }

    [Fact]
    public async Task ServerOverlapNotSmallerThanTheWindow_Starts_AndRerankWithALongQueryScoresDocumentsThatFit()
    {
        // --long-documents chunk --window-overlap 200 --max-input-length 160: the embedding window is 159, the rerank window smaller still.
        const int limit = 160;
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            MaxInputLength = limit,
            LongDocuments = Sift.Abstractions.LongDocumentStrategy.Chunk,
            WindowOverlap = 200,
        });
        var embedded = await server.PostJsonAsync("/v1/embeddings", new { input = LongText });
        Assert.Equal(HttpStatusCode.OK, embedded.StatusCode);

        // A query that leaves the documents 4..19 tokens: less than the server's overlap, enough for a short document.
        var tokenizer = ModelFixtures.Reranker.Value.Tokenizer;
        var suffix = tokenizer.Encode(Prompts.RerankSuffix, addSpecialTokens: false).Length;
        var query = "which";
        int Room(string q) => limit - tokenizer.Encode(Prompts.RerankPrefix + Prompts.RerankSharedBody(q), addSpecialTokens: false).Length - suffix;
        while (Room(query + " word") >= 4)
        {
            query += " word";
        }
        Assert.InRange(Room(query), 4, 19);
        var document = "ok";
        Assert.True(tokenizer.Encode(Prompts.RerankDocumentPart(document), addSpecialTokens: false).Length <= Room(query));

        // And a document longer than the window: its windows overlap by half the window, not by the server's 200.
        var longer = string.Join(' ', Enumerable.Repeat("ok", 40));
        var chunked = await server.PostJsonAsync("/v1/rerank", new { query, documents = new[] { document, longer }, return_windows = true });
        var text = await chunked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(chunked.IsSuccessStatusCode, text);
        using var truncated = JsonDocument.Parse(await (await server.PostJsonAsync("/v1/rerank",
            new { query, documents = new[] { document }, long_document_strategy = "truncate" })).Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var scores = JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("relevance_score").GetSingle());
        Assert.Equal(truncated.RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle(), scores[0]);
        var room = Room(query);
        var longerTokens = tokenizer.Encode(Prompts.RerankDocumentPart(longer), addSpecialTokens: false).Length;
        var step = room - room / 2;
        var windows = JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("index").GetInt32() == 1).GetProperty("windows").GetInt32();
        Assert.Equal(1 + (longerTokens - room + step - 1) / step, windows);
    }

    [Fact]
    public async Task Rerank_ChunkRequestOverMaxWindowTokens_Is400OnTheFieldTheRequestUsed()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { MaxInputLength = LongDocumentServerFixture.Limit, MaxWindowTokens = 300 });
        var response = await server.PostJsonAsync("/v1/rerank", new { query = "q", passages = new[] { "short", LongText }, long_document_strategy = "chunk", window_overlap = Overlap });
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.StartsWith("the documents up to document 1 read ", error.GetProperty("message").GetString());
        Assert.Contains("tokens in windows; the limit is 300 tokens per request (--max-window-tokens)", error.GetProperty("message").GetString());
        Assert.Equal(("passages", "too_many_tokens"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        var fits = await server.PostJsonAsync("/v1/rerank", new { query = "q", passages = new[] { "short" }, long_document_strategy = "chunk" });
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
    }

    [Fact]
    public async Task TeiEmbed_ChunkWithoutNormalization_GivesFittingAndWindowedInputsOneScale()
    {
        using var tei = await PostAsync("/embed", new { inputs = new[] { "A short document.", LongText }, normalize = false, long_document_strategy = "chunk", window_overlap = Overlap });
        var norms = tei.RootElement.EnumerateArray().Select(v => Math.Sqrt(v.EnumerateArray().Sum(x => (double)x.GetSingle() * x.GetSingle()))).ToArray();
        Assert.True(norms[0] > 2, $"the raw pooled state's norm is {norms[0]}; the test needs one far from 1");
        Assert.InRange(norms[1] / norms[0], 0.5, 2);
    }

    [Fact]
    public async Task EmbeddingCache_TellsAQueryFromADocumentWithTheQuerysText()
    {
        // A long query is cut (queries are never windowed); a document spelling out the query's prompt is windowed.
        using var query = await PostAsync("/v1/embeddings", new { input = LongText, input_type = "query", long_document_strategy = "chunk", truncate = true });
        var promptText = Prompts.EmbeddingQuery(LongText, null);
        using var document = await PostAsync("/v1/embeddings", new { input = promptText, long_document_strategy = "chunk", truncate = true });
        // The same document as token ids, which no cache holds.
        var ids = ModelFixtures.Embedder.Value.Tokenizer.Encode(promptText, addSpecialTokens: false);
        using var uncached = await PostAsync("/v1/embeddings", new { input = new[] { ids }, long_document_strategy = "chunk", truncate = true });
        Assert.Equal(Vector(uncached.RootElement.GetProperty("data")[0]), Vector(document.RootElement.GetProperty("data")[0]));
        Assert.NotEqual(Vector(query.RootElement.GetProperty("data")[0]), Vector(document.RootElement.GetProperty("data")[0]));
    }

    private static float[] Vector(JsonElement item) => item.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();

    private static int Usage(JsonDocument json) => json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();

    private async Task<JsonDocument> PostAsync(string path, object body)
    {
        var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }
}
