using System.Net;
using System.Text.Json;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Server;

public sealed class RerankRouteTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly RerankCase[] Cases =
        ReferenceCases.Rerank.Value.Where(c => c.Query == "苹果手机电池续航差怎么办" && c.Instruction is null).ToArray();

    private TestServer Server => fixture.Server;

    [Theory]
    [InlineData("/v1/rerank")]
    [InlineData("/v2/rerank")]
    [InlineData("/rerank")]
    public async Task CohereShape_SortsByReferenceScoreAndHonoursTopNAndReturnDocuments(string path)
    {
        var body = new { model = TestServer.RerankerName, query = Cases[0].Query, documents = Cases.Select(c => c.Document).ToArray(), top_n = 1, return_documents = true };
        using var json = await PostAsync(path, body);
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(1, results.GetArrayLength());
        var best = Cases.Select((c, i) => (c.Score, i)).MaxBy(x => x.Score);
        Assert.Equal(best.i, results[0].GetProperty("index").GetInt32());
        Assert.True(Math.Abs(best.Score - results[0].GetProperty("relevance_score").GetSingle()) < 1e-4);
        Assert.Equal(Cases[best.i].Document, results[0].GetProperty("document").GetProperty("text").GetString());
        Assert.Equal(TestServer.RerankerName, json.RootElement.GetProperty("model").GetString());
        Assert.True(Guid.TryParse(json.RootElement.GetProperty("id").GetString(), out _));
        // Usage counts tokens as read: the prompts' common start (template, instruction, query) once, then each document's rest.
        var common = Enumerable.Range(0, Cases.Min(c => c.InputIds.Length)).TakeWhile(i => Cases.All(c => c.InputIds[i] == Cases[0].InputIds[i])).Count();
        var expectedTokens = common + Cases.Sum(c => c.InputIds.Length - common);
        Assert.Equal(expectedTokens, json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task CohereShape_DocumentObjectsAndInstruction_MatchTheReference()
    {
        var reference = ReferenceCases.Rerank.Value.First(c => c.Instruction is not null);
        using var json = await PostAsync("/v1/rerank", new { query = reference.Query, documents = new[] { new { text = reference.Document } }, instruction = reference.Instruction });
        var result = json.RootElement.GetProperty("results")[0];
        Assert.True(Math.Abs(reference.Score - result.GetProperty("relevance_score").GetSingle()) < 1e-4);
        Assert.False(result.TryGetProperty("document", out _));
    }

    [Fact]
    public async Task CohereShape_PassagesAsSGLangNamesThem_AreTheDocuments()
    {
        var documents = Cases.Select(c => c.Document).ToArray();
        using var viaDocuments = await PostAsync("/v1/rerank", new { query = Cases[0].Query, documents });
        using var viaPassages = await PostAsync("/v1/rerank", new { query = Cases[0].Query, passages = documents });
        Assert.Equal(Results(viaDocuments), Results(viaPassages));

        var bad = await Server.PostJsonAsync("/v1/rerank", new { query = "q", passages = "not a list" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("passages", error.RootElement.GetProperty("error").GetProperty("param").GetString());

        // Both names at once is ambiguous: one list would be scored and the other silently dropped.
        var both = await Server.PostJsonAsync("/v1/rerank", new { query = "q", documents = new[] { "a" }, passages = new[] { "b" } });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        using var bothError = JsonDocument.Parse(await both.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("passages", bothError.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("not both", bothError.RootElement.GetProperty("error").GetProperty("message").GetString());

        static string Results(JsonDocument json) => json.RootElement.GetProperty("results").GetRawText();
    }

    [Fact]
    public async Task TeiShape_ReturnsSortedScoresTextsAndRawScores()
    {
        using var json = await PostAsync("/rerank", new { query = Cases[0].Query, texts = Cases.Select(c => c.Document).ToArray(), return_text = true });
        var results = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(Cases.Length, results.Length);
        var expectedOrder = Cases.Select((c, i) => (c.Score, i)).OrderByDescending(x => x.Score).Select(x => x.i).ToArray();
        Assert.Equal(expectedOrder, results.Select(r => r.GetProperty("index").GetInt32()).ToArray());
        foreach (var result in results)
        {
            var reference = Cases[result.GetProperty("index").GetInt32()];
            Assert.True(Math.Abs(reference.Score - result.GetProperty("score").GetSingle()) < 1e-4);
            Assert.Equal(reference.Document, result.GetProperty("text").GetString());
        }

        using var raw = await PostAsync("/rerank", new { query = Cases[0].Query, texts = new[] { Cases[0].Document }, raw_scores = true });
        var logit = raw.RootElement[0].GetProperty("score").GetSingle();
        Assert.True(Math.Abs((Cases[0].LogitYes - Cases[0].LogitNo) - logit) < 1e-4);
    }

    [Fact]
    public async Task TeiShape_LongTextWithoutTruncate_Is400NamingTheLength_AndWithTruncateIsScored()
    {
        await using var server = await TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { MaxInputLength = 120 });
        var longText = string.Join(' ', Enumerable.Repeat("word", 200));
        var refused = await server.PostJsonAsync("/rerank", new { query = "q", texts = new[] { "short", longText } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("document 1", error.RootElement.GetProperty("error").GetString());
        Assert.Contains("the limit is 120", error.RootElement.GetProperty("error").GetString());
        Assert.Equal("Validation", error.RootElement.GetProperty("error_type").GetString());

        var scored = await server.PostJsonAsync("/rerank", new { query = "q", texts = new[] { "short", longText }, truncate = true });
        Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
        using var results = JsonDocument.Parse(await scored.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, results.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task LongQueryManyDocuments_HoldsTheQueryOnce_AndCountsItOnceInUsage()
    {
        // A ~6,000-token query with 512 short documents: once each document held its own copy of the
        // query's keys and values (O(documents × query) memory) and usage counted the query 512 times.
        var random = new Random(41);
        var words = ReferenceCases.Embedding.Value.SelectMany(c => c.Text.Split(' ')).ToArray();
        var query = string.Join(' ', Enumerable.Range(0, 4000).Select(_ => words[random.Next(words.Length)]));
        var documents = Enumerable.Range(0, 512).Select(i => $"document {i}").ToArray();
        var reranker = ((Sift.Server.Hosting.ModelRegistry)Server.Services.GetService(typeof(Sift.Server.Hosting.ModelRegistry))!).GetReranker(null).Reranker;
        var prompts = reranker.BuildInputs(query, documents, new Sift.Engine.RerankOptions());
        // The part every prompt shares: the template's start, the instruction and the query, up to "<Document>:".
        var common = reranker.Tokenizer.Encode(Sift.Engine.Prompts.RerankPrefix + Sift.Engine.Prompts.RerankSharedBody(query), addSpecialTokens: false).Length;
        Assert.True(common > 5000, $"the query prefix has {common} tokens");
        Assert.All(prompts, p => Assert.Equal(prompts[0][..common], p[..common]));

        using var json = await PostAsync("/v1/rerank", new { query, documents });

        Assert.Equal(512, json.RootElement.GetProperty("results").GetArrayLength());
        var usage = json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32();
        Assert.Equal(common + prompts.Sum(p => p.Length - common), usage);
        var config = reranker.Model.Config;
        Assert.True(reranker.Model.WorkspaceBytes <= Sift.Qwen3.WorkspaceSize.Largest(config, 16384).Bytes,
            $"{reranker.Model.WorkspaceBytes} bytes of activations for a pass of {usage} tokens");
    }

    private async Task<JsonDocument> PostAsync(string path, object body)
    {
        var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text);
    }
}
