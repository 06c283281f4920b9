using System.Text.Json;
using Microsoft.Extensions.AI;
using Sift.Abstractions;
using Sift.Client;
using Sift.Tests.Engine.LongDocuments;
using Sift.Tests.Server;

namespace Sift.Tests.Client;

/// <summary>The SDK's long-document settings reach the server and its windows come back.</summary>
public sealed class SiftLongDocumentTests(LongDocumentServerFixture fixture) : IClassFixture<LongDocumentServerFixture>
{
    private static readonly string LongText = string.Join(" ", Enumerable.Repeat(LongDocumentEngineTests.LongText, 5));

    private SiftClientOptions Options => new() { Endpoint = fixture.Server.Address };

    [Fact]
    public async Task Reranker_Chunk_ReturnsTheRoutesScoreAndWindow()
    {
        using var reranker = new SiftReranker(Options);
        var results = await reranker.RerankAsync("q", ["short", LongText],
            new RerankingOptions { LongDocuments = LongDocumentStrategy.Chunk, WindowOverlap = 8, ReturnWindows = true }, TestContext.Current.CancellationToken);

        var response = await fixture.Server.PostJsonAsync("/v1/rerank",
            new { query = "q", documents = new[] { "short", LongText }, long_document_strategy = "chunk", window_overlap = 8, return_windows = true });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var expected = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("index").GetInt32(), results[i].Index);
            Assert.Equal(expected[i].GetProperty("relevance_score").GetDouble(), results[i].RelevanceScore);
            var span = expected[i].GetProperty("window_span");
            Assert.Equal(new DocumentWindow(expected[i].GetProperty("window").GetInt32(), span.GetProperty("start").GetInt32(), span.GetProperty("end").GetInt32(),
                expected[i].GetProperty("windows").GetInt32()), results[i].Window);
        }
        Assert.Contains(results, r => r.Window!.Count > 1);
    }

    [Fact]
    public async Task EmbeddingGenerator_Chunk_EmbedsALongDocumentTheServerWouldRefuse()
    {
        using var generator = new SiftEmbeddingGenerator(Options);
        var refused = await Assert.ThrowsAsync<SiftApiException>(() => generator.GenerateAsync([LongText], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(400, refused.Status);

        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["long_document_strategy"] = LongDocumentStrategy.Chunk, ["window_overlap"] = 8 } };
        var embeddings = await generator.GenerateAsync([LongText], options, TestContext.Current.CancellationToken);

        var response = await fixture.Server.PostJsonAsync("/v1/embeddings", new { input = LongText, long_document_strategy = "chunk", window_overlap = 8 });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray(), embeddings[0].Vector.ToArray());
        Assert.Equal(json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), embeddings.Usage!.InputTokenCount);
    }
}
