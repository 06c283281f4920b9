using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text.Json;
using Sift.Server.Hosting;
using Sift.Tests.Server;

namespace Sift.Tests.Retrieval;

/// <summary>Collections and two-stage search through a real server with the fixture models and a real embedded database.</summary>
public sealed class CollectionRoutesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private TestServer Server => fixture.Server;

    internal static readonly (string Id, string Text, object Metadata)[] Corpus =
    [
        ("beijing", "Beijing is the capital of China and its political centre.", new { lang = "en", year = 2024, topic = "geo" }),
        ("gravity", "Gravity is a force that attracts two bodies towards each other.", new { lang = "en", year = 2023, topic = "physics" }),
        ("paris", "Paris is the capital and most populous city of France.", new { lang = "en", year = 2024, topic = "geo" }),
        ("shanghai", "上海是中国最大的城市，也是重要的金融中心。", new { lang = "zh", year = 2024, topic = "geo" }),
        ("photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen.", new { lang = "en", year = 2022, topic = "biology" }),
    ];

    private async Task<string> NewCollectionAsync(object? settings = null)
    {
        var name = $"c{Guid.NewGuid():N}"[..16];
        var body = JsonSerializer.SerializeToElement(settings ?? new { });
        var request = new Dictionary<string, object> { ["name"] = name };
        foreach (var property in body.EnumerateObject())
        {
            request[property.Name] = property.Value;
        }
        var created = await Server.PostJsonAsync("/v1/collections", request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return name;
    }

    private async Task UpsertCorpusAsync(string name)
    {
        var response = await Server.PostJsonAsync($"/v1/collections/{name}/documents",
            new { documents = Corpus.Select(d => new { id = d.Id, text = d.Text, metadata = d.Metadata }) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement> SearchAsync(string name, object body)
    {
        var response = await Server.PostJsonAsync($"/v1/collections/{name}/search", body);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<float[]> EmbedAsync(object body)
    {
        var response = await Server.PostJsonAsync("/v1/embeddings", body);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;
        return json.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    }

    [Fact]
    public async Task Search_ScoresEqualWhatTheEmbeddingsAndRerankRoutesGiveForTheSameTexts()
    {
        var name = await NewCollectionAsync(new { dimensions = 48 });
        await UpsertCorpusAsync(name);
        const string query = "What is the capital of China?";

        var json = await SearchAsync(name, new { query, top_k = 5, top_n = 5, rerank_instruction = "Find the city" });

        Assert.True(json.GetProperty("reranked").GetBoolean());
        var results = json.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(5, results.Length);
        var queryVector = await EmbedAsync(new { input = query, input_type = "query", dimensions = 48 });
        foreach (var result in results)
        {
            var chunk = result.GetProperty("chunk").GetProperty("text").GetString()!;
            var chunkVector = await EmbedAsync(new { input = chunk, dimensions = 48 });
            Assert.Equal(TensorPrimitives.Dot(queryVector, chunkVector), result.GetProperty("vector_score").GetSingle());
            var rerank = await Server.PostJsonAsync("/v1/rerank", new { query, documents = new[] { chunk }, instruction = "Find the city" });
            var expected = JsonDocument.Parse(await rerank.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("results")[0].GetProperty("relevance_score").GetSingle();
            Assert.Equal(expected, result.GetProperty("score").GetSingle());
        }
        var scores = results.Select(r => r.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        var usage = json.GetProperty("usage");
        Assert.True(usage.GetProperty("embed_tokens").GetInt32() > 0 && usage.GetProperty("rerank_tokens").GetInt32() > 0);
        foreach (var stage in new[] { "embed", "vector", "rerank", "total" })
        {
            Assert.True(json.GetProperty("timings_ms").GetProperty(stage).GetDouble() >= 0);
        }
    }

    [Fact]
    public async Task Search_WithoutRerank_ReturnsTheVectorOrderAndSaysSo()
    {
        var name = await NewCollectionAsync();
        await UpsertCorpusAsync(name);

        var json = await SearchAsync(name, new { query = "capital city", rerank = false, top_n = 3 });

        Assert.False(json.GetProperty("reranked").GetBoolean());
        var results = json.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(3, results.Length);
        foreach (var result in results)
        {
            Assert.Equal(result.GetProperty("vector_score").GetSingle(), result.GetProperty("score").GetSingle());
        }
        var scores = results.Select(r => r.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        Assert.Equal(0, json.GetProperty("usage").GetProperty("rerank_tokens").GetInt32());
    }

    [Fact]
    public async Task Search_Filter_KeepsOnlyMatchingDocumentsAndAnUnknownKeyMatchesNothing()
    {
        var name = await NewCollectionAsync();
        await UpsertCorpusAsync(name);

        var geo2024 = await SearchAsync(name, new { query = "city", filter = new { topic = "geo", year = 2024.0 }, rerank = false });
        var chinese = await SearchAsync(name, new { query = "city", filter = new { lang = "zh" } });
        var typed = await SearchAsync(name, new { query = "city", filter = new { year = "2024" } });
        var unknown = await SearchAsync(name, new { query = "city", filter = new { colour = "blue" } });

        Assert.Equal(["beijing", "paris", "shanghai"], geo2024.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Order());
        Assert.Equal(["shanghai"], chinese.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Empty(typed.GetProperty("results").EnumerateArray());
        Assert.Empty(unknown.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task Documents_UpsertGetReplaceListAndDelete_KeepCountsAndWriteVersion()
    {
        var name = await NewCollectionAsync(new { chunk_tokens = 16, chunk_overlap = 4 });
        var longText = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"sentence number {i} about rivers and mountains."));
        var first = await Server.PostJsonAsync($"/v1/collections/{name}/documents",
            new { documents = new object[] { new { id = "long/one", text = longText, metadata = new { kind = "long" } }, new { id = "short", text = "A short note." } } });
        var firstJson = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.Equal(2, firstJson.GetProperty("upserted").GetInt32());
        var chunks = firstJson.GetProperty("chunks").GetInt32();
        Assert.True(chunks > 10, $"{chunks} chunks");

        var document = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}/documents/long/one", Cancel)).RootElement;
        Assert.Equal(longText, document.GetProperty("text").GetString());
        Assert.Equal("long", document.GetProperty("metadata").GetProperty("kind").GetString());
        Assert.Equal(chunks - 1, document.GetProperty("chunks").GetInt32());

        var replaced = await Server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = new[] { new { id = "long/one", text = "Now short." } } });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var info = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}", Cancel)).RootElement;
        Assert.Equal(2, info.GetProperty("documents").GetInt64());
        Assert.Equal(2, info.GetProperty("chunks").GetInt64());
        Assert.Equal(2, info.GetProperty("write_version").GetInt64());
        var search = await SearchAsync(name, new { query = "rivers and mountains", rerank = false });
        Assert.DoesNotContain(search.GetProperty("results").EnumerateArray(), r => r.GetProperty("chunk").GetProperty("text").GetString()!.Contains("rivers"));

        var page = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}/documents?limit=1", Cancel)).RootElement;
        Assert.Equal(["long/one"], page.GetProperty("ids").EnumerateArray().Select(i => i.GetString()));
        var next = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}/documents?limit=1&after=long%2Fone", Cancel)).RootElement;
        Assert.Equal(["short"], next.GetProperty("ids").EnumerateArray().Select(i => i.GetString()));

        Assert.Equal(HttpStatusCode.OK, (await Server.Http.DeleteAsync($"/v1/collections/{name}/documents/short", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync($"/v1/collections/{name}/documents/short", Cancel)).StatusCode);
        info = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}", Cancel)).RootElement;
        Assert.Equal(1, info.GetProperty("documents").GetInt64());
        Assert.Equal(3, info.GetProperty("write_version").GetInt64());

        Assert.Equal(HttpStatusCode.OK, (await Server.Http.DeleteAsync($"/v1/collections/{name}", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync($"/v1/collections/{name}", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Search_LongDocument_ReturnsTheDocumentOnceWithItsBestChunk()
    {
        var name = await NewCollectionAsync(new { chunk_tokens = 16, chunk_overlap = 0 });
        var text = string.Join(" ", Enumerable.Range(0, 30).Select(i => $"Paragraph {i} talks about weather in the valley."));
        await Server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = new[] { new { id = "doc", text } } });

        var json = await SearchAsync(name, new { query = "weather", top_k = 50, top_n = 5 });

        var result = Assert.Single(json.GetProperty("results").EnumerateArray());
        Assert.Equal("doc", result.GetProperty("id").GetString());
        Assert.True(json.GetProperty("recalled").GetInt32() > 1);
        var chunkText = result.GetProperty("chunk").GetProperty("text").GetString()!;
        Assert.Contains(chunkText, text);
        // The best chunk is the one the reranker scored highest among all of the document's chunks.
        var all = await SearchAsync(name, new { query = "weather", top_k = 50, top_n = 1, rerank = true });
        Assert.Equal(result.GetProperty("score").GetSingle(), all.GetProperty("results")[0].GetProperty("score").GetSingle());
    }

    [Theory]
    [InlineData("/v1/collections", "{\"name\": \"\"}", 400, "invalid_collection_name")]
    [InlineData("/v1/collections", "{\"name\": \"has space\"}", 400, "invalid_collection_name")]
    [InlineData("/v1/collections", "{\"name\": \"trailing-newline\\n\"}", 400, "invalid_collection_name")]
    [InlineData("/v1/collections", "{\"name\": \"ok\", \"chunk_tokens\": 4}", 400, null)]
    [InlineData("/v1/collections", "{\"name\": \"ok\", \"chunk_tokens\": 64, \"chunk_overlap\": 40}", 400, null)]
    [InlineData("/v1/collections", "{\"name\": \"ok\", \"dimensions\": 8}", 400, "invalid_dimensions")]
    [InlineData("/v1/collections", "{\"name\": \"ok\", \"model\": \"nope\"}", 400, "model_not_found")]
    [InlineData("/v1/collections/missing/search", "{\"query\": \"q\"}", 404, "collection_not_found")]
    [InlineData("/v1/collections/missing/documents", "{\"documents\": [{\"id\": \"a\", \"text\": \"b\"}]}", 404, "collection_not_found")]
    public async Task BadRequests_GetAClearJsonError(string path, string body, int status, string? code)
    {
        var response = await Server.PostRawAsync(path, body);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }
    }

    [Theory]
    [InlineData("{\"documents\": [{\"id\": \"\", \"text\": \"b\"}]}", "invalid_id", "documents[0].id")]
    [InlineData("{\"documents\": [{\"text\": \"b\"}]}", null, "documents[0].id")]
    [InlineData("{\"documents\": [{\"id\": \"..\", \"text\": \"b\"}]}", "invalid_id", "documents[0].id")]
    [InlineData("{\"documents\": [{\"id\": \"a/../b\", \"text\": \"b\"}]}", "invalid_id", "documents[0].id")]
    [InlineData("{\"documents\": [{\"id\": \"./a\", \"text\": \"b\"}]}", "invalid_id", "documents[0].id")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"\"}]}", "empty_text", "documents[0].text")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"nul \\u0000 inside\"}]}", "invalid_text", "documents[0].text")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"k\": \"nul \\u0000\"}}]}", "invalid_metadata", "documents[0].metadata.k")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"nested\": {\"x\": 1}}}]}", "invalid_metadata", "documents[0].metadata.nested")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": [1, 2]}]}", "invalid_metadata", "documents[0].metadata")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"k\": null}}]}", "invalid_metadata", "documents[0].metadata.k")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"user\": 1234567890123456789}}]}", "invalid_metadata", "documents[0].metadata.user")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"user\": -9007199254740993}}]}", "invalid_metadata", "documents[0].metadata.user")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\", \"metadata\": {\"\\ud800\": \"x\"}}]}", "invalid_metadata", "documents[0].metadata")]
    [InlineData("{\"documents\": [{\"id\": \"a\", \"text\": \"b\"}, {\"id\": \"a\", \"text\": \"c\"}]}", "duplicate_id", "documents[1].id")]
    [InlineData("{\"documents\": []}", null, "documents")]
    [InlineData("{\"documents\": \"x\"}", null, "documents")]
    public async Task Upsert_BadDocuments_Get400NamingTheFieldAndWriteNothing(string body, string? code, string param)
    {
        var name = await NewCollectionAsync();
        var response = await Server.PostRawAsync($"/v1/collections/{name}/documents", body);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }
        var info = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}", Cancel)).RootElement;
        Assert.Equal(0, info.GetProperty("documents").GetInt64());
        Assert.Equal(0, info.GetProperty("write_version").GetInt64());
    }

    [Fact]
    public async Task Metadata_IntegersUpToTwoToThe53_AndFractionsComeBackExactly_LargerIntegersAreRefusedNamingTheLimit()
    {
        var name = await NewCollectionAsync();
        const string metadata = "{\"big\":9007199254740992,\"negative\":-9007199254740992,\"ratio\":0.1,\"tiny\":1e-300,\"huge\":1e300}";
        var stored = await Server.PostRawAsync($"/v1/collections/{name}/documents", $"{{\"documents\": [{{\"id\": \"a\", \"text\": \"b\", \"metadata\": {metadata}}}]}}");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var document = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}/documents/a", Cancel)).RootElement.GetProperty("metadata");
        Assert.Equal(9007199254740992L, document.GetProperty("big").GetInt64());
        Assert.Equal(-9007199254740992L, document.GetProperty("negative").GetInt64());
        Assert.Equal(0.1, document.GetProperty("ratio").GetDouble());
        Assert.Equal(1e300, document.GetProperty("huge").GetDouble());

        // A 64-bit id would come back altered (1234567890123456789 is stored as ...800) and match its neighbours in filters.
        var refused = await Server.PostRawAsync($"/v1/collections/{name}/search", "{\"query\": \"q\", \"filter\": {\"user\": 1234567890123456789}}");
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("filter.user", error.GetProperty("param").GetString());
        Assert.Contains("1234567890123456789", error.GetProperty("message").GetString());
        Assert.Contains("9007199254740992", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Upsert_OverLongId_IsRefusedNamingTheLimit()
    {
        var name = await NewCollectionAsync();
        var response = await Server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = new[] { new { id = new string('x', 257), text = "t" } } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("257 characters; the limit is 256", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Theory]
    [InlineData("{\"query\": \"q\", \"top_k\": 0}", "top_k")]
    [InlineData("{\"query\": \"q\", \"top_k\": 1001}", "top_k")]
    [InlineData("{\"query\": \"q\", \"top_n\": 0}", "top_n")]
    [InlineData("{\"query\": \"q\", \"top_k\": 5, \"top_n\": 6}", "top_n")]
    [InlineData("{\"query\": \"q\", \"rerank_top\": 0}", "rerank_top")]
    [InlineData("{\"query\": \"\"}", "query")]
    [InlineData("{\"query\": \"q\", \"filter\": {\"a\": [1]}}", "filter.a")]
    [InlineData("{\"query\": \"q\", \"filter\": \"a=b\"}", "filter")]
    [InlineData("{\"query\": \"q\", \"filter\": {\"k\": \"\\u0000\"}}", "filter.k")]
    [InlineData("{\"query\": \"q\", \"filter\": {\"\\udc00x\": 1}}", "filter")]
    [InlineData("{\"query\": \"q\", \"rerank\": \"yes\"}", "rerank")]
    public async Task Search_OutOfRangeOrMalformed_Gets400NamingTheField(string body, string param)
    {
        var name = await NewCollectionAsync();
        var response = await Server.PostRawAsync($"/v1/collections/{name}/search", body);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Search_QueryLongerThanTheModelReads_Is400NamingTheQueryAndTheLimit()
    {
        var name = await NewCollectionAsync();
        var models = JsonDocument.Parse(await Server.Http.GetStringAsync("/v1/models", Cancel)).RootElement.GetProperty("data");
        var limit = models.EnumerateArray().First(m => m.GetProperty("kind").GetString() == "embedding").GetProperty("max_model_len").GetInt32();

        var response = await Server.PostJsonAsync($"/v1/collections/{name}/search", new { query = string.Concat(Enumerable.Repeat("word ", limit + 10)) });

        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("query", "query_too_long"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(limit.ToString(CultureInfo.InvariantCulture), message);
        // The search route has no truncation to ask for: the embeddings route's advice would mislead.
        Assert.DoesNotContain("truncat", message);
        Assert.Equal(HttpStatusCode.OK, (await Server.PostJsonAsync($"/v1/collections/{name}/search", new { query = "word" })).StatusCode);
    }

    [Fact]
    public async Task CreateCollection_DuplicateName_Is409AndTheFirstStaysAsItWas()
    {
        var name = await NewCollectionAsync(new { chunk_tokens = 100, chunk_overlap = 10 });
        var again = await Server.PostJsonAsync("/v1/collections", new { name, chunk_tokens = 120, chunk_overlap = 10 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("collection_exists", await again.Content.ReadAsStringAsync(Cancel));
        var info = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}", Cancel)).RootElement;
        Assert.Equal(100, info.GetProperty("chunk_tokens").GetInt32());
        var list = JsonDocument.Parse(await Server.Http.GetStringAsync("/v1/collections", Cancel)).RootElement;
        Assert.Contains(list.GetProperty("collections").EnumerateArray(), c => c.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Collection_RemembersItsModel_AndAServerWithAnotherModelRefusesIt()
    {
        var data = Directory.CreateTempSubdirectory("sift-model-").FullName;
        try
        {
            await using (var first = await TestServer.StartAsync(new ServerOptions { Data = data, ServedModelNames = ["model-a"] }))
            {
                var created = await first.PostJsonAsync("/v1/collections", new { name = "docs", dimensions = 32 });
                var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Cancel)).RootElement;
                Assert.Equal("model-a", json.GetProperty("model").GetString());
                Assert.Equal(32, json.GetProperty("dimensions").GetInt32());
                await first.PostJsonAsync("/v1/collections/docs/documents", new { documents = new[] { new { id = "a", text = "kept across restarts" } } });
            }
            await using var second = await TestServer.StartAsync(new ServerOptions { Data = data, ServedModelNames = ["model-b"] });
            var search = await second.PostJsonAsync("/v1/collections/docs/search", new { query = "q" });
            var upsert = await second.PostJsonAsync("/v1/collections/docs/documents", new { documents = new[] { new { id = "b", text = "t" } } });
            Assert.Equal(HttpStatusCode.Conflict, search.StatusCode);
            Assert.Contains("model_mismatch", await search.Content.ReadAsStringAsync(Cancel));
            Assert.Equal(HttpStatusCode.Conflict, upsert.StatusCode);
            var document = await second.Http.GetStringAsync("/v1/collections/docs/documents/a", Cancel);
            Assert.Contains("kept across restarts", document);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Upsert_OverThePayloadLimit_Is413AndTheServerKeepsServing()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { PayloadLimit = 4096 });
        await server.PostJsonAsync("/v1/collections", new { name = "small" });
        var response = await server.PostJsonAsync("/v1/collections/small/documents", new { documents = new[] { new { id = "big", text = new string('a', 8000) } } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var ok = await server.PostJsonAsync("/v1/collections/small/documents", new { documents = new[] { new { id = "fine", text = "fits" } } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await server.Http.GetStringAsync("/v1/collections/small", Cancel)).RootElement.GetProperty("documents").GetInt64());
    }

    [Fact]
    public async Task Upsert_MoreDocumentsThanTheBatchLimit_Is400NamingTheLimit()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { MaxClientBatchSize = 2 });
        await server.PostJsonAsync("/v1/collections", new { name = "limited" });
        var response = await server.PostJsonAsync("/v1/collections/limited/documents",
            new { documents = Enumerable.Range(0, 3).Select(i => new { id = $"d{i}", text = "t" }) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the limit is 2", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Upsert_SplittingIntoMoreChunksThanTheBatchLimit_Is400NamingTheLimitAndWritesNothing()
    {
        // One upsert makes as many vectors as /v1/embeddings may: a short payload cut into tiny chunks must not make thousands.
        await using var server = await TestServer.StartAsync(new ServerOptions { MaxClientBatchSize = 4 });
        await server.PostJsonAsync("/v1/collections", new { name = "tiny-chunks", chunk_tokens = 16, chunk_overlap = 8 });
        var text = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"word{i}"));

        var response = await server.PostJsonAsync("/v1/collections/tiny-chunks/documents", new { documents = new[] { new { id = "long", text } } });
        var fits = await server.PostJsonAsync("/v1/collections/tiny-chunks/documents", new { documents = new[] { new { id = "short", text = "a few words" } } });

        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("too_many_chunks", error.GetProperty("code").GetString());
        Assert.Contains("the limit is 4", error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        var info = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/collections/tiny-chunks", Cancel)).RootElement;
        Assert.Equal((1L, 1L), (info.GetProperty("documents").GetInt64(), info.GetProperty("chunks").GetInt64()));
    }

    [Fact]
    public async Task OpenApi_DocumentsTheCollectionRoutes()
    {
        using var openApi = JsonDocument.Parse(await Server.Http.GetStringAsync("/openapi/v1.json", Cancel));
        var paths = openApi.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/collections", "/v1/collections/{name}", "/v1/collections/{name}/documents", "/v1/collections/{name}/search" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        }
        Assert.Contains("top_k", paths.GetProperty("/v1/collections/{name}/search").GetRawText() + openApi.RootElement.GetProperty("components").GetRawText(),
            StringComparison.OrdinalIgnoreCase);
    }
}
