using Microsoft.Extensions.AI;
using Sift.Abstractions;
using Sift.Client;
using Sift.Engine;
using Sift.Tests.Engine;
using Sift.Tests.Qwen3;
using Sift.Tests.Server;

namespace Sift.Tests.Client;

/// <summary>The .NET SDK against a real server: the same abstractions the engine implements in process.</summary>
public sealed class SiftClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SiftClientOptions Options => new() { Endpoint = fixture.Server.Address };

    [Fact]
    public async Task EmbeddingGenerator_OverHttp_EqualsTheEngineInProcessBitwise()
    {
        using var remote = new SiftEmbeddingGenerator(Options);
        IEmbeddingGenerator<string, Embedding<float>> local = ModelFixtures.Embedder.Value;
        var texts = ReferenceCases.Embedding.Value.Skip(3).Where(c => c.Text.Length > 0).Select(c => c.Text).ToArray();
        var options = new EmbeddingGenerationOptions { Dimensions = 48 };

        var overHttp = await remote.GenerateAsync(texts, options, TestContext.Current.CancellationToken);
        var inProcess = await local.GenerateAsync(texts, options, TestContext.Current.CancellationToken);

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(inProcess[i].Vector.ToArray(), overHttp[i].Vector.ToArray());
            Assert.Equal(48, overHttp[i].Vector.Length);
            Assert.Equal(TestServer.EmbeddingName, overHttp[i].ModelId);
        }
        Assert.Equal(inProcess.Usage!.InputTokenCount, overHttp.Usage!.InputTokenCount);
    }

    [Theory]
    [InlineData("sift")]
    [InlineData("sift/")]
    public async Task Clients_KeepTheEndpointsPath_AsBehindAProxy(string prefix)
    {
        // A proxy serving Sift under /sift/: it forwards only requests under that prefix, stripped.
        using var http = new HttpClient(new PrefixProxy("/sift/"));
        var behindProxy = Options with { Endpoint = new Uri(fixture.Server.Address, prefix), HttpClient = http };
        using var embedder = new SiftEmbeddingGenerator(behindProxy);
        using var reranker = new SiftReranker(behindProxy);

        var embeddings = await embedder.GenerateAsync(["hello"], cancellationToken: TestContext.Current.CancellationToken);
        var ranked = await reranker.RerankAsync("q", ["a", "b"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(64, embeddings[0].Vector.Length);
        Assert.Equal(2, ranked.Count);
    }

    private sealed class PrefixProxy(string prefix) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NotFound) { Content = new StringContent($"{{\"error\":\"no route {path}\"}}") });
            }
            request.RequestUri = new UriBuilder(request.RequestUri) { Path = path[(prefix.Length - 1)..] }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task EmbeddingGenerator_QueryInputType_MatchesTheReferenceQuery()
    {
        using var remote = new SiftEmbeddingGenerator(Options, TestServer.EmbeddingName);
        var reference = ReferenceCases.Embedding.Value[0];
        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["input_type"] = "query" } };
        var result = await remote.GenerateAsync(["What is the capital of China?"], options, TestContext.Current.CancellationToken);
        Assert.True(result[0].Vector.ToArray().Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < 1e-4);
    }

    [Fact]
    public async Task Reranker_OverHttpAndInProcess_RankAlikeAndMatchTheReference()
    {
        var cases = ReferenceCases.Rerank.Value.Where(c => c.Query == "苹果手机电池续航差怎么办" && c.Instruction is null).ToArray();
        var documents = cases.Select(c => c.Document).ToArray();
        var options = new RerankingOptions { TopN = 2, ReturnDocuments = true };
        using var remote = new SiftReranker(Options);
        IReranker local = ModelFixtures.Reranker.Value;

        var overHttp = await remote.RerankAsync(cases[0].Query, documents, options, TestContext.Current.CancellationToken);
        var inProcess = await local.RerankAsync(cases[0].Query, documents, options, TestContext.Current.CancellationToken);

        Assert.Equal(2, overHttp.Count);
        Assert.Equal(inProcess.Select(r => r.Index), overHttp.Select(r => r.Index));
        var best = cases.Select((c, i) => (c.Score, i)).MaxBy(x => x.Score);
        Assert.Equal(best.i, overHttp[0].Index);
        Assert.True(Math.Abs(best.Score - overHttp[0].RelevanceScore) < 1e-4);
        Assert.Equal(documents[best.i], overHttp[0].Document);
    }

    [Fact]
    public async Task Clients_ServerRefusals_BecomeSiftApiExceptionsWithTheServersMessage()
    {
        using var embeddings = new SiftEmbeddingGenerator(Options);
        var error = await Assert.ThrowsAsync<SiftApiException>(() =>
            embeddings.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 8 }, TestContext.Current.CancellationToken));
        Assert.Equal(400, error.Status);
        Assert.Contains("dimensions 8 is outside the valid range 32..64", error.Message);
        Assert.Equal("invalid_dimensions", error.Code);

        using var reranker = new SiftReranker(Options);
        var refused = await Assert.ThrowsAsync<SiftApiException>(() =>
            reranker.RerankAsync("q", [], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("'documents' is empty", refused.Message);
    }
}
